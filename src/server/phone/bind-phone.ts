import type { FastifyBaseLogger } from 'fastify';
import { type PhoneNumber, type Store, setUserPhone, type User } from '../../store/index.ts';
import { ApiError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { maskPhone } from './mask.ts';

export type PhoneSource = 'code' | 'legacy' | 'login';

/** Stores the number WeChat vouched for on the user; logs say which user, never which number. */
export async function bindPhone(
  deps: { store: Store; metrics: Metrics; now: () => number; log: Pick<FastifyBaseLogger, 'info'> },
  userId: string,
  phone: PhoneNumber,
  source: PhoneSource,
): Promise<User> {
  const user = await setUserPhone(deps.store.db, userId, phone, deps.now());
  if (!user) throw new ApiError('SESSION_REVOKED', 'The account behind this session is gone; log in again.');
  deps.metrics.phoneBindings.inc({ source });
  deps.log.info(
    { userId, source, phone: `+${phone.countryCode} ${maskPhone(phone.phoneNumber)}` },
    'phone number bound',
  );
  return user;
}

import type { FastifyBaseLogger } from 'fastify';
import { type PhoneNumber, recordAuditEvent, type Store, setUserPhone, type User } from '../../store/index.ts';
import { ApiError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { maskPhone } from './mask.ts';

export type PhoneSource = 'code' | 'legacy' | 'login';

/**
 * Which button produced the number: getPhoneNumber (quick verification) or getRealtimePhoneNumber
 * (real-time). WeChat's getuserphonenumber answers both alike, so the client says which; the legacy
 * encryptedData and a sign-up phone code come from the quick button.
 */
export type PhoneVerification = 'quick' | 'realtime';

/** Stores the number WeChat vouched for on the user; logs say which user, never which number. */
export async function bindPhone(
  deps: { store: Store; metrics: Metrics; now: () => number; log: Pick<FastifyBaseLogger, 'info'> },
  userId: string,
  phone: PhoneNumber,
  source: PhoneSource,
  verification: PhoneVerification = 'quick',
): Promise<User> {
  const user = await setUserPhone(deps.store.db, userId, phone, deps.now());
  if (!user) throw new ApiError('SESSION_REVOKED', 'The account behind this session is gone; log in again.');
  deps.metrics.phoneBindings.inc({ source });
  deps.metrics.phoneVerifications.inc({ verification });
  await recordAuditEvent(deps.store.db, { type: 'phone.bound', userId, details: { source, verification } }, deps.now());
  deps.log.info(
    { userId, source, verification, phone: `+${phone.countryCode} ${maskPhone(phone.phoneNumber)}` },
    'phone number bound',
  );
  return user;
}

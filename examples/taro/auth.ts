// Taro (React or Vue): the SDK on Taro's own API object, typed as it is — no cast.
import Taro from '@tarojs/taro';
import { type AuthUser, createAuth, isAuthError, type PhoneNumberEvent } from 'weapp-auth-miniprogram';

export const auth = createAuth({ baseUrl: 'https://auth.example.com', wx: Taro });

/** <Button openType="getPhoneNumber" onGetPhoneNumber={onGetPhoneNumber}> */
export async function onGetPhoneNumber(e: PhoneNumberEvent): Promise<AuthUser | undefined> {
  try {
    await auth.ensurePrivacyConsent();
    return await auth.bindPhone(e);
  } catch (err) {
    if (isAuthError(err) && (err.code === 'PHONE_DENIED' || err.code === 'PRIVACY_NOT_AUTHORIZED')) return undefined;
    throw err;
  }
}

export async function loadOrders(): Promise<string[]> {
  const { data } = await auth.request<{ items: string[] }>({ url: '/api/orders' });
  return data.items;
}

import { randomBytes } from 'node:crypto';

/** Random values shaped like WeChat's, for store tests that need fresh users. */
export const APP_A = 'wx00000000000000aa';
export const APP_B = 'wx00000000000000bb';
export const sessionKey = () => randomBytes(16).toString('base64');
export const openid = () => `o${randomBytes(20).toString('base64url')}`;
export const unionid = () => `u${randomBytes(20).toString('base64url')}`;

/**
 * The few logging calls this module makes, shaped so a pino logger fits as is. Fields are
 * metadata only (api, appid, errcode, attempt, timings): never a secret, code, token or session_key.
 */
export interface WeChatLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: WeChatLogger = {
  debug() {},
  info() {},
  warn() {},
};

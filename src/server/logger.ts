import type { LoggerOptions } from 'pino';

/**
 * Log options for the server. Query strings are never logged (the classic /wx/login takes the code
 * and encryptedData there); credentials are redacted wherever they might appear.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.sessionKey',
        '*.session_key',
        '*.secret',
        '*.refreshToken',
        '*.accessToken',
        '*.access_token',
        '*.phoneNumber',
        // The wx.login and getPhoneNumber codes are one-time credentials, wherever a body or query
        // is logged. Not '*.code': that blanked err.code, the diagnostic (ECONNRESET, FST_ERR_*).
        'body.code',
        'query.code',
        '*.body.code',
        '*.query.code',
        'body.phoneCode',
        '*.body.phoneCode',
        'phoneCode',
        '*.phoneCode',
        'js_code',
        '*.js_code',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request: { method: string; url: string; ip: string }) {
        return {
          method: request.method,
          url: pathOnly(request.url),
          remoteAddress: request.ip,
        };
      },
    },
  };
}

export function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
}

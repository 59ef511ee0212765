/**
 * The error codes of scan-to-login, merged into the one catalogue (../errors.ts) and documented in
 * the README error table like every other code. Kept here so the feature's codes sit with it.
 */
export const QR_LOGIN_ERRORS = {
  UNKNOWN_WEB_CLIENT: {
    status: 400,
    message: 'This clientId is not one of WEB_CLIENTS; the operator adds it as clientId:https://origin.',
    zh: '这个 clientId 不在 WEB_CLIENTS 中；请运维人员以 clientId:https://域名 的形式添加。',
  },
  ORIGIN_NOT_ALLOWED: {
    status: 403,
    message: "This page's Origin is not one of the web client's origins in WEB_CLIENTS.",
    zh: '当前网页的 Origin 不在 WEB_CLIENTS 为这个网站配置的域名中。',
  },
  APP_TOKEN_REQUIRED: {
    status: 403,
    message: "This route serves the mini program; a website's token (scan-to-login) cannot call it.",
    zh: '这个接口只供小程序调用；网站通过扫码登录得到的令牌不能调用它。',
  },
  QR_LOGIN_NOT_FOUND: {
    status: 404,
    message: 'No such login code: it expired long ago or never existed. Show a new code on the website.',
    zh: '没有这个登录码：它早已过期或从未存在。请在网站上重新生成二维码。',
  },
  QR_LOGIN_SECRET_MISMATCH: {
    status: 403,
    message: 'The secret does not belong to this login code; only the browser that created it may follow it.',
    zh: 'secret 与这个登录码不符；只有创建它的浏览器才能查询它。',
  },
  QR_LOGIN_EXPIRED: {
    status: 410,
    message: 'This login code expired; the website shows a new one.',
    zh: '这个登录码已过期，请在网站上刷新二维码。',
  },
  QR_LOGIN_SCANNED_BY_OTHER: {
    status: 409,
    message: 'Another WeChat user already scanned this code; only that user may confirm or cancel it.',
    zh: '另一位微信用户已扫描这个码；只有该用户可以确认或取消。',
  },
  QR_LOGIN_NOT_SCANNED: {
    status: 409,
    message: 'Scan the code first (POST /v1/qr-login/scan), then confirm.',
    zh: '请先扫码（POST /v1/qr-login/scan），再确认。',
  },
  QR_LOGIN_FINISHED: {
    status: 409,
    message: 'This login was already confirmed or cancelled.',
    zh: '这次登录已被确认或取消。',
  },
  QR_LOGIN_BUSY: {
    status: 429,
    message: 'Too many login codes are outstanding or drawn this minute for this mini program; retry in a minute.',
    zh: '这个小程序待处理或本分钟生成的登录码过多，请一分钟后重试。',
  },
  QR_LOGIN_PAGE_INVALID: {
    status: 502,
    message:
      'WeChat refused QR_LOGIN_PAGE: the page is not in the published version (41030). Publish it, or use ' +
      'QR_LOGIN_ENV_VERSION=trial/develop with QR_LOGIN_CHECK_PATH=false while developing.',
    zh:
      '微信拒绝了 QR_LOGIN_PAGE：已发布的版本中没有这个页面（41030）。请发布该页面，或在开发期间使用 ' +
      'QR_LOGIN_ENV_VERSION=trial/develop 并设置 QR_LOGIN_CHECK_PATH=false。',
  },
} as const;

// Scan to log in on a website: the page the website's mini-program code opens (QR_LOGIN_PAGE on
// the server). WeChat passes the code's scene URL-encoded in onLoad's options.scene.
const { auth } = getApp();

// What to tell the user for the codes inspect, confirm and cancel may reject with.
const MESSAGES = {
  QR_LOGIN_EXPIRED: '二维码已过期，请在电脑上刷新后重新扫码',
  QR_LOGIN_NOT_FOUND: '二维码已失效，请在电脑上刷新后重新扫码',
  QR_LOGIN_SCANNED_BY_OTHER: '这个二维码已被其他微信用户扫描',
  QR_LOGIN_FINISHED: '这次登录已经确认或取消过了',
  QR_LOGIN_NOT_SCANNED: '请重新扫码',
  INVALID_REQUEST: '这不是登录二维码',
  NETWORK_ERROR: '网络不可用，请稍后再试',
};

const BROWSERS = [
  [/Edg\/(\d+)/, 'Edge'],
  [/Chrome\/(\d+)/, 'Chrome'],
  [/Firefox\/(\d+)/, 'Firefox'],
  [/Version\/(\d+).*Safari/, 'Safari'],
];
const SYSTEMS = [
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Linux/, 'Linux'],
];

/** "Chrome 131 · macOS": enough for the user to recognise their own computer. */
function describeBrowser(userAgent) {
  if (!userAgent) return '未知浏览器';
  let browser = '浏览器';
  for (const [pattern, name] of BROWSERS) {
    const match = pattern.exec(userAgent);
    if (match) {
      browser = `${name} ${match[1]}`;
      break;
    }
  }
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent));
  return system ? `${browser} · ${system[1]}` : browser;
}

Page({
  // state: loading → ask → confirmed | cancelled; failed when the code cannot be used.
  data: { state: 'loading', request: null, browser: '', who: '', busy: false, error: '' },

  onLoad(options) {
    // Opened from the menu or a share there is no code: nothing to confirm.
    // biome-ignore lint/complexity/useOptionalChain: ES2017, as the oldest base libraries in use parse it
    this.scene = options && options.scene ? decodeURIComponent(options.scene) : '';
    if (!this.scene) {
      this.setData({ state: 'failed', error: '请用微信扫描网页上的小程序码' });
      return;
    }
    this.inspect();
  },

  // POST /v1/qr-login/scan as this user (the SDK logs in first when needed): the website's browser
  // now shows "scanned", and this page shows who asks.
  async inspect() {
    this.setData({ state: 'loading', error: '' });
    try {
      const request = await auth.qrLogin.inspect(this.scene);
      const user = auth.user;
      this.setData({
        state: 'ask',
        request,
        browser: describeBrowser(request.browser.userAgent),
        // biome-ignore lint/complexity/useOptionalChain: ES2017, as the oldest base libraries in use parse it
        who: (user && user.nickname) || '微信用户',
      });
    } catch (err) {
      this.fail(err);
    }
  },

  // The user's explicit yes: the browser is logged in as this user.
  onConfirm() {
    return this.answer('confirm', 'confirmed');
  },

  // The user's no: the browser hears "cancelled" and stops waiting.
  onCancel() {
    return this.answer('cancel', 'cancelled');
  },

  // auth.qrLogin.confirm or .cancel, one tap at a time.
  async answer(call, state) {
    if (this.data.busy) return;
    this.setData({ busy: true, error: '' });
    try {
      await auth.qrLogin[call](this.scene);
      this.setData({ state });
    } catch (err) {
      this.fail(err);
    } finally {
      this.setData({ busy: false });
    }
  },

  fail(err) {
    this.setData({ state: 'failed', error: MESSAGES[err.code] || err.message });
  },
});

const { auth } = getApp();

// WeChat's sample gray avatar, shown until the user picks one.
const DEFAULT_AVATAR =
  'https://mmbiz.qpic.cn/mmbiz/icTdbqWNOwNRna42FI242Lcia07jQodd2FJGIYQfG0LAJGFxM4FbnQP6yfMxBgJ0F3YRqJCJ1aPAK2dQagdusBZg/0';

// What to tell the user for the codes updateProfile, bindPhone and the consent may reject with.
const MESSAGES = {
  CONTENT_RISKY: '昵称包含不当内容，请换一个',
  INVALID_NICKNAME: '昵称不可用，请换一个',
  CONTENT_CHECK_UNAVAILABLE: '暂时无法检查昵称，请稍后再试',
  IMAGE_TOO_LARGE: '图片太大，请换一张',
  UNSUPPORTED_IMAGE_TYPE: '请选择 PNG、JPEG、WebP 或 GIF 图片',
  INVALID_PHONE_CODE: '手机号验证失败，请再点一次',
  PHONE_QUOTA_EXHAUSTED: '暂时无法获取手机号，请稍后再试',
  PRIVACY_NOT_AUTHORIZED: '同意隐私保护指引后才能设置头像、昵称和手机号',
  PRIVACY_API_UNDECLARED: '小程序的隐私保护指引未声明此功能',
  NETWORK_ERROR: '网络不可用',
};

Page({
  data: {
    user: null,
    avatarUrl: DEFAULT_AVATAR,
    avatarFilePath: '',
    consent: false,
    saving: false,
    phoneBusy: false,
    error: '',
  },

  onLoad() {
    this.showUser(auth.user);
    // Every stored change (and a transparent re-login) arrives here.
    this.offUser = auth.on('user', (user) => this.showUser(user));
    if (!auth.isLoggedIn) auth.login().catch((err) => this.fail(err));
    // The avatar, nickname and phone components need the user's consent to the privacy guide:
    // ask before showing them (the nickname input cannot ask by itself).
    this.askConsent();
  },

  onUnload() {
    this.offUser();
  },

  async askConsent() {
    try {
      await auth.ensurePrivacyConsent(); // the privacy-popup component shows the request
      this.setData({ consent: true, error: '' });
    } catch (err) {
      this.setData({ consent: false });
      this.fail(err);
    }
  },

  showUser(user) {
    this.setData({
      user: user || null,
      // A picked avatar not yet saved stays on screen.
      // biome-ignore lint/complexity/useOptionalChain: ES2017, as the oldest base libraries in use parse it
      avatarUrl: this.data.avatarFilePath || (user && user.avatarUrl) || DEFAULT_AVATAR,
    });
  },

  fail(err) {
    this.setData({ error: MESSAGES[err.code] || err.message });
  },

  // <button open-type="chooseAvatar">: e.detail.avatarUrl is a temporary file on the phone.
  onChooseAvatar(e) {
    const { avatarUrl } = e.detail;
    if (!avatarUrl) return;
    this.setData({ avatarFilePath: avatarUrl, avatarUrl, error: '' });
  },

  // <form bindsubmit>: the value of <input type="nickname" name="nickname">, after WeChat's own check.
  async onSubmit(e) {
    if (this.data.saving) return;
    this.setData({ saving: true, error: '' });
    try {
      // A blank nickname or "微信用户" is not sent; neither is an avatar not picked.
      await auth.updateProfile({ nickname: e.detail.value.nickname, avatarFilePath: this.data.avatarFilePath });
      this.setData({ avatarFilePath: '' });
      this.showUser(auth.user);
    } catch (err) {
      this.fail(err);
    } finally {
      this.setData({ saving: false });
    }
  },

  // <button open-type="getPhoneNumber"> (or getRealtimePhoneNumber): pass the event as it is.
  async onGetPhoneNumber(e) {
    // Every code WeChat gives is billed: keep the button off while one is being used.
    this.setData({ phoneBusy: true, error: '' });
    try {
      await auth.bindPhone(e); // the 'user' listener shows the number
    } catch (err) {
      // The user said no: nothing to report, the button stays for later.
      if (err.code !== 'PHONE_DENIED') this.fail(err);
    } finally {
      this.setData({ phoneBusy: false });
    }
  },

  onTapSettings() {
    wx.navigateTo({ url: '/pages/settings/settings' });
  },
});

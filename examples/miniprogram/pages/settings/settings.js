const { auth } = getApp();

Page({
  data: { user: null, loggedIn: false, busy: false, error: '' },

  onLoad() {
    this.offLogin = auth.on('login', ({ user }) => this.setData({ user, loggedIn: true }));
    this.offLogout = auth.on('logout', () => this.setData({ user: null, loggedIn: false }));
  },

  onShow() {
    this.setData({ user: auth.user || null, loggedIn: auth.isLoggedIn });
  },

  onUnload() {
    this.offLogin();
    this.offLogout();
  },

  // Ends the session on the server (POST /v1/logout) and forgets the tokens on the phone.
  async onLogout() {
    this.setData({ busy: true });
    await auth.logout();
    this.setData({ busy: false });
  },

  async onLogin() {
    this.setData({ busy: true, error: '' });
    try {
      await auth.login();
    } catch (err) {
      this.setData({ error: err.code === 'NETWORK_ERROR' ? '网络不可用' : err.message });
    } finally {
      this.setData({ busy: false });
    }
  },
});

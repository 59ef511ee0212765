const { auth } = getApp();

/** A date as the user reads it: 2026年12月8日. */
function day(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`;
}

Page({
  data: { user: null, loggedIn: false, busy: false, error: '', deletion: '', exported: null },

  onLoad() {
    this.offLogin = auth.on('login', ({ user }) => this.setData({ user, loggedIn: true }));
    this.offLogout = auth.on('logout', () => this.setData({ user: null, loggedIn: false, exported: null }));
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
    this.setData({ busy: true, error: '', deletion: '' });
    try {
      await auth.login();
    } catch (err) {
      this.setData({ error: err.code === 'NETWORK_ERROR' ? '网络不可用' : err.message });
    } finally {
      this.setData({ busy: false });
    }
  },

  // "注销账号": a confirm modal that says what goes and when, then DELETE /v1/me.
  onDeleteAccount() {
    wx.showModal({
      title: '注销账号',
      content:
        '注销后将立即退出所有设备，你的资料、手机号和头像将被删除。' +
        '如服务设有冷静期，账号会在冷静期结束后彻底删除，期间重新登录即可撤销注销。',
      confirmText: '确认注销',
      confirmColor: '#e64340',
      success: async ({ confirm }) => {
        if (!confirm) return;
        this.setData({ busy: true, error: '', deletion: '' });
        try {
          const { status, purgeAt } = await auth.deleteAccount();
          this.setData({
            deletion:
              status === 'scheduled'
                ? `账号将于${day(purgeAt)}彻底删除。在此之前重新登录即可撤销注销。`
                : '账号已删除。',
          });
        } catch (err) {
          // Nothing changed: the session and the account are as they were.
          this.setData({ error: err.code === 'NETWORK_ERROR' ? '网络不可用，账号未注销' : err.message });
        } finally {
          this.setData({ busy: false });
        }
      },
    });
  },

  // "导出我的数据": everything the server holds (GET /v1/me/export), shown for the user to read and copy.
  async onExport() {
    this.setData({ busy: true, error: '' });
    try {
      const data = await auth.exportData();
      this.setData({
        exported: {
          summary: `${data.identities.length} 个小程序身份，${data.sessions.length} 次登录会话，${data.securityEvents.length} 条安全记录`,
          json: JSON.stringify(data, null, 2),
        },
      });
    } catch (err) {
      this.setData({ error: err.code === 'NETWORK_ERROR' ? '网络不可用' : err.message });
    } finally {
      this.setData({ busy: false });
    }
  },
});

// The privacy popup WeChat asks apps to show since 2023: privacy APIs and components (the avatar,
// nickname and phone ones here) wait until the user agrees to the app's privacy guide. Put one on
// every page that uses them; the SDK hands each request to the newest popup on screen.
const { auth } = getApp();

Component({
  data: { show: false, referrer: '' },

  lifetimes: {
    attached() {
      this.off = auth.onPrivacyConsentNeeded((request) => {
        this.request = request;
        this.setData({ show: true, referrer: request.referrer || '' });
        request.shown(); // tells WeChat the popup is on screen
      });
    },
    detached() {
      this.off();
      // A request left open would keep its API waiting: a popup that goes away declines it.
      if (this.request) this.request.disagree();
    },
  },

  methods: {
    // bindagreeprivacyauthorization of <button open-type="agreePrivacyAuthorization">: WeChat
    // records the consent with the tap, and checks the id passed to agree() is that button's.
    onAgree(e) {
      const { request } = this;
      this.request = undefined;
      this.setData({ show: false });
      if (request) request.agree(e.currentTarget.id);
    },

    onDisagree() {
      const { request } = this;
      this.request = undefined;
      this.setData({ show: false });
      if (request) request.disagree();
    },

    onOpenContract() {
      wx.openPrivacyContract({});
    },
  },
});

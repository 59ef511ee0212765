// After `npm install weapp-auth-miniprogram` and Tools → Build npm, the package is in
// miniprogram_npm/ and this require finds it.
const { createAuth } = require('weapp-auth-miniprogram');
const { baseUrl } = require('./config.js');

App({
  // One instance for the whole app: every page shares its login, tokens and refresh.
  auth: createAuth({ baseUrl }),

  onLaunch() {
    // A returning user is logged in already (tokens from storage); a new one logs in silently.
    // wx.login is not a privacy API: no consent is needed for it.
    if (!this.auth.isLoggedIn) this.auth.login().catch((err) => console.warn('login failed', err.code));
  },
});

// Where weapp-auth runs. `npm start` in the weapp-auth repository serves it here, with the
// emulator playing WeChat; tick "do not verify domains" in DevTools while developing.
module.exports = {
  baseUrl: 'http://127.0.0.1:3000',
};

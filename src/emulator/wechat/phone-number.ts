import { WxError } from '../errcodes.ts';
import { fullPhoneNumber } from '../phone/profiles.ts';
import { appOfToken, requireAccessToken } from './guards.ts';
import type { WechatEndpoint } from './route.ts';

/**
 * POST /wxa/business/getuserphonenumber?access_token=…  {code, openid?}
 * The phone code is bound to the app and user that pressed the button, lives 5 minutes, works once.
 */
export const getUserPhoneNumber: WechatEndpoint = {
  api: 'getuserphonenumber',
  url: '/wxa/business/getuserphonenumber',
  methods: ['POST'],
  appOf: appOfToken,
  handle(call) {
    const { appid } = requireAccessToken(call);
    const body = call.jsonBody();
    if (typeof body.code !== 'string' || body.code === '') throw new WxError(47001);
    if (body.openid !== undefined && typeof body.openid !== 'string') throw new WxError(47001);
    const { state } = call;
    const found = state.phoneCodes.peek(body.code, call.now());
    if (found.status === 'unknown') throw new WxError(40029);
    // WeChat's documented meaning of 40013 here: the code comes from another mini program.
    if (found.value.appid !== appid) throw new WxError(40013);
    call.user = found.value.user;
    if (found.status !== 'ok') throw new WxError(40029);
    const account = state.directory.account(appid, found.value.user);
    // The optional openid must be the code's user: 40003, WeChat's code for an openid that does not fit.
    if (body.openid !== undefined && body.openid !== account.openid) throw new WxError(40003);
    state.phoneCodes.spend(body.code, call.now());

    const { profile } = state.directory.user(found.value.user);
    return {
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: fullPhoneNumber(profile),
        purePhoneNumber: profile.purePhoneNumber,
        countryCode: profile.countryCode,
        // When the user authorized, i.e. pressed the button.
        watermark: { timestamp: Math.floor(found.issuedAt / 1000), appid },
      },
    };
  },
};

import type { FastifyRequest } from 'fastify';
import type { AppCredentials, Config } from '../config/config.ts';
import { ApiError } from './errors.ts';

/** WeChat sets this Referer on every wx.request; mini program code cannot change it. */
const WECHAT_REFERER = /^https:\/\/servicewechat\.com\/(wx[0-9a-zA-Z]{16})\/[^/]+\/page-frame\.html$/;

/**
 * Which of our mini programs a request is for: the body's `appid`, else `X-WX-AppId`, else the
 * Referer WeChat sets, else the default app. Naming an app we do not serve is an error, not a fallback.
 */
export function resolveApp(config: Config, request: FastifyRequest, bodyAppid?: string): AppCredentials {
  const header = request.headers['x-wx-appid'];
  const referer = request.headers.referer;
  const appid =
    bodyAppid ||
    (typeof header === 'string' && header !== '' ? header : undefined) ||
    (typeof referer === 'string' ? WECHAT_REFERER.exec(referer)?.[1] : undefined) ||
    config.defaultAppid;
  const app = config.apps.find((a) => a.appid === appid);
  if (!app) {
    throw new ApiError('UNKNOWN_APP', {
      en: `appid ${appid.slice(0, 32)} is not served here; configured: ${config.apps.map((a) => a.appid).join(', ')}.`,
      zh: `这个服务器不服务 appid ${appid.slice(0, 32)}；已配置的有：${config.apps.map((a) => a.appid).join(', ')}（见 WEAPP_APPS）。`,
    });
  }
  return app;
}

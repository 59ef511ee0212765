import type { Config } from '../config/config.ts';
import type { Store } from '../store/index.ts';
import type { TokenService } from '../tokens/index.ts';
import type { AccessTokenManager, WeChatClient } from '../wechat/client/index.ts';
import type { Coalesce } from './login/login-flow.ts';
import type { Metrics } from './metrics.ts';

/** Everything a route needs, built once at start (see ./services.ts) and shared by all requests. */
export interface ServerContext {
  config: Readonly<Config>;
  store: Store;
  wechat: WeChatClient;
  accessTokens: AccessTokenManager;
  tokens: TokenService;
  metrics: Metrics;
  coalesce: Coalesce;
  now: () => number;
}

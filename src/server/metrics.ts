import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** What /metrics answers: the text exposition format and its content type. */
export interface MetricsScrape {
  contentType: string;
  text: string;
}

/** The Prometheus metrics the server exports at /metrics; one registry per server instance. */
export interface Metrics {
  registry: Registry;
  /** This registry's metrics; under `serve --workers`, every worker's summed (./cluster-metrics.ts). */
  scrape(): Promise<MetricsScrape>;
  logins: Counter<'outcome'>;
  wechatCalls: Counter<'api' | 'errcode'>;
  wechatLatency: Histogram<'api'>;
  decryptFailures: Counter<'reason'>;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  /**
   * Counts one answered request in `httpRequests`: kept in a plain map and added to the counter
   * when it is read (a scrape, the cluster's collection), instead of prom-client's label hashing
   * and validation on every request. Reads see every request counted before them.
   */
  countHttpRequest(route: string, method: string, status: number): void;
  avatarUploads: Counter<'type'>;
  contentChecks: Counter<'result'>;
  phoneBindings: Counter<'source'>;
  phoneVerifications: Counter<'verification'>;
  /** Scan-to-login tickets: created, scanned, confirmed, cancelled, delivered (tokens out), busy (refused). */
  qrLogins: Counter<'event'>;
  /** WeChat message pushes by event and what they did (or why they were refused). */
  pushEvents: Counter<'event' | 'outcome'>;
  /** Operations served from this process because Redis was away (see RELIABILITY.md). */
  cacheFallbacks: Counter<'use'>;
  /** Connection-level failures of a dependency that no request was waiting for. */
  dependencyErrors: Counter<'dependency'>;
}

/** Answered requests by route, method and status since the counter last read them. */
class PendingRequestCounts {
  readonly #pending = new Map<string, { labels: { route: string; method: string; status: string }; n: number }>();

  count(route: string, method: string, status: number): void {
    // Routes are the registered patterns (or 'unmatched'), methods the parser's, statuses ours:
    // as few keys as the counter has series.
    const key = `${status} ${method} ${route}`;
    const entry = this.#pending.get(key);
    if (entry) entry.n++;
    else this.#pending.set(key, { labels: { route, method, status: String(status) }, n: 1 });
  }

  /** Adds what was counted since the last call to `counter`. */
  flushInto(counter: Counter<'route' | 'method' | 'status'>): void {
    for (const entry of this.#pending.values()) {
      if (entry.n === 0) continue;
      counter.inc(entry.labels, entry.n);
      entry.n = 0;
    }
  }
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'weapp_auth_' });
  const requests = new PendingRequestCounts();
  const httpRequests: Counter<'route' | 'method' | 'status'> = new Counter({
    name: 'weapp_auth_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
    // prom-client calls this before every read of the counter.
    collect: () => requests.flushInto(httpRequests),
  });
  return {
    registry,
    scrape: async () => ({ contentType: registry.contentType, text: await registry.metrics() }),
    logins: new Counter({
      name: 'weapp_auth_logins_total',
      help: 'Logins by outcome (ok, new_user, or the error code)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    wechatCalls: new Counter({
      name: 'weapp_auth_wechat_calls_total',
      help: 'Calls to the WeChat API by api and errcode (0 for success, "transport" for network failures)',
      labelNames: ['api', 'errcode'],
      registers: [registry],
    }),
    wechatLatency: new Histogram({
      name: 'weapp_auth_wechat_call_duration_seconds',
      help: 'Latency of calls to the WeChat API',
      labelNames: ['api'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    decryptFailures: new Counter({
      name: 'weapp_auth_decrypt_failures_total',
      help: 'Open-data decryption failures by reason (the crypto error code)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    pushEvents: new Counter({
      name: 'weapp_auth_push_events_total',
      help: 'WeChat message pushes by event and outcome (refused_signature, refused_malformed, duplicate, failed, or what was done)',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
    cacheFallbacks: new Counter({
      name: 'weapp_auth_cache_fallbacks_total',
      help: 'Cache operations served from this process while Redis was unavailable, by use',
      labelNames: ['use'],
      registers: [registry],
    }),
    dependencyErrors: new Counter({
      name: 'weapp_auth_dependency_errors_total',
      help: 'Connection errors of the database or Redis outside any request (they reconnect by themselves)',
      labelNames: ['dependency'],
      registers: [registry],
    }),
    httpRequests,
    countHttpRequest: (route, method, status) => requests.count(route, method, status),
    avatarUploads: new Counter({
      name: 'weapp_auth_avatar_uploads_total',
      help: 'Avatars stored, by sniffed image type',
      labelNames: ['type'],
      registers: [registry],
    }),
    contentChecks: new Counter({
      name: 'weapp_auth_content_checks_total',
      help: 'Nickname content checks by result: pass, review, risky, or error (WeChat could not answer)',
      labelNames: ['result'],
      registers: [registry],
    }),
    phoneBindings: new Counter({
      name: 'weapp_auth_phone_bindings_total',
      help: 'Phone numbers stored, by source: code (getuserphonenumber), legacy (decrypted), login',
      labelNames: ['source'],
      registers: [registry],
    }),
    phoneVerifications: new Counter({
      name: 'weapp_auth_phone_verifications_total',
      help: 'Phone numbers stored, by the button that produced them (billed apart by WeChat): quick (getPhoneNumber), realtime (getRealtimePhoneNumber)',
      labelNames: ['verification'],
      registers: [registry],
    }),
    qrLogins: new Counter({
      name: 'weapp_auth_qr_logins_total',
      help: 'Scan-to-login tickets by event: created, scanned, confirmed, cancelled, delivered (the web session handed over), busy (refused by QR_LOGIN_CODES_PER_MINUTE or QR_LOGIN_MAX_OUTSTANDING)',
      labelNames: ['event'],
      registers: [registry],
    }),
  };
}

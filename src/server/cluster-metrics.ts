import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Gauge, type MetricObjectWithValues, type MetricValue, Registry } from 'prom-client';
import type { Metrics, MetricsScrape } from './metrics.ts';

/**
 * /metrics under `serve --workers`: Prometheus scrapes one port and a connection lands on any
 * worker, so a per-worker answer would jump between workers' counters at every scrape. The
 * worker that takes the scrape asks the primary, which collects every worker's registry over the
 * cluster's IPC channel and sums them (prom-client's aggregators: counters and histograms add up,
 * version and start-time gauges keep one value). A worker that does not answer within
 * COLLECT_TIMEOUT_MS is left out and `weapp_auth_cluster_workers{state="unanswered"}` says so,
 * rather than the whole scrape failing.
 */

const SCRAPE = 'weapp-auth:metrics:scrape';
const SCRAPED = 'weapp-auth:metrics:scraped';
const COLLECT = 'weapp-auth:metrics:collect';
const COLLECTED = 'weapp-auth:metrics:collected';
const COLLECT_TIMEOUT_MS = 3000;

type Part = MetricObjectWithValues<MetricValue<string>>[];
interface Message {
  type?: string;
  id?: number;
  text?: string;
  contentType?: string;
  error?: string;
  metrics?: Part;
}

/** In a worker: answers the primary's collection with this registry, and scrapes through the primary. */
export function clusterWorkerMetrics(metrics: Metrics): Metrics {
  const waiting = new Map<number, (message: Message) => void>();
  let nextId = 0;
  process.on('message', (message: Message) => {
    if (message.type === COLLECT) {
      void metrics.registry.getMetricsAsJSON().then(
        (part) => process.send?.({ type: COLLECTED, id: message.id, metrics: part }),
        (err: Error) => process.send?.({ type: COLLECTED, id: message.id, error: err.message }),
      );
    } else if (message.type === SCRAPED && message.id !== undefined) {
      waiting.get(message.id)?.(message);
    }
  });
  const scrape = (): Promise<MetricsScrape> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the primary process did not answer the metrics scrape'));
      }, COLLECT_TIMEOUT_MS * 2);
      waiting.set(id, (message) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (message.error !== undefined) reject(new Error(message.error));
        else resolve({ contentType: message.contentType ?? metrics.registry.contentType, text: message.text ?? '' });
      });
      process.send?.({ type: SCRAPE, id });
    });
  return { ...metrics, scrape };
}

/** In the primary: answers workers' scrapes with the sum of every worker's metrics. */
export function serveClusterMetrics(): void {
  const pending = new Map<number, { parts: Part[]; left: Set<number>; done: () => void }>();
  let nextId = 0;
  const collect = async (): Promise<MetricsScrape> => {
    const id = nextId++;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w?.isConnected() === true);
    const entry = { parts: [] as Part[], left: new Set(workers.map((w) => w.id)), done: () => {} };
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, COLLECT_TIMEOUT_MS);
      entry.done = () => {
        clearTimeout(timer);
        resolve();
      };
      pending.set(id, entry);
      for (const worker of workers) worker.send({ type: COLLECT, id });
      if (workers.length === 0) entry.done();
    });
    pending.delete(id);
    const aggregated = AggregatorRegistry.aggregate(entry.parts);
    const own = new Registry();
    const gauge = new Gauge({
      name: 'weapp_auth_cluster_workers',
      help: 'Worker processes of serve --workers, by whether they answered this scrape',
      labelNames: ['state'],
      registers: [own],
    });
    gauge.set({ state: 'answered' }, entry.parts.length);
    gauge.set({ state: 'unanswered' }, entry.left.size);
    return {
      contentType: aggregated.contentType,
      text: `${await aggregated.metrics()}\n${await own.metrics()}`,
    };
  };
  cluster.on('message', (worker: Worker, message: Message) => {
    if (message.type === COLLECTED && message.id !== undefined) {
      const entry = pending.get(message.id);
      if (!entry?.left.delete(worker.id)) return;
      if (message.metrics) entry.parts.push(message.metrics);
      if (entry.left.size === 0) entry.done();
    } else if (message.type === SCRAPE) {
      collect().then(
        (scrape) => worker.isConnected() && worker.send({ type: SCRAPED, id: message.id, ...scrape }),
        (err: Error) => worker.isConnected() && worker.send({ type: SCRAPED, id: message.id, error: err.message }),
      );
    }
  });
}

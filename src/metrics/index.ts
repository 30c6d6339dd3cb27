/**
 * Prometheus metrics (prom-client): one Registry per runtime, a `/metrics` request handler, and the
 * store queries behind the scrape-time gauges.
 *
 * @example
 * import { metricsHandler } from './metrics/index.js';
 * server.on('request', (req, res) => req.url === '/metrics' && metricsHandler(runtime)(req, res));
 */
export { PersistenceMetrics, METRICS_SOURCES, type MetricsSources, type MetricsSource } from './persistence-metrics.js';
export { metricsHandler, type MetricsExposition } from './metrics-handler.js';
export type { PendingBacklog, ConversionProgress, QueueDepth } from '../postgres/observability-queries.js';

import type { IncomingMessage, ServerResponse } from 'node:http';

/** Anything that renders a Prometheus exposition: a PersistenceRuntime, or PersistenceMetrics. */
export interface MetricsExposition {
  metrics(): Promise<string>;
  readonly metricsContentType?: string;
  readonly contentType?: string;
}

/**
 * A `node:http`-compatible request handler serving the exposition (also usable as an Express or
 * Connect handler: it only uses `req.method` and the response's `statusCode`, `setHeader`, `end`).
 * Mount it on the path you scrape, usually `/metrics`.
 *
 * @example
 * import { createServer } from 'node:http';
 * const handler = metricsHandler(runtime);
 * createServer((req, res) => (req.url === '/metrics' ? handler(req, res) : ((res.statusCode = 404), res.end()))).listen(9464);
 */
export function metricsHandler(source: MetricsExposition): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('Allow', 'GET, HEAD');
      res.end();
      return;
    }
    try {
      const body = await source.metrics();
      res.statusCode = 200;
      res.setHeader('Content-Type', source.metricsContentType ?? source.contentType ?? 'text/plain; version=0.0.4; charset=utf-8');
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      res.statusCode = 500;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(`metrics unavailable: ${(err as Error).message}\n`);
    }
  };
}

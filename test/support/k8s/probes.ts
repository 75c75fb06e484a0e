/** Health probes of the cluster's servers: plain HTTP (etcd) and HTTPS with or without a client cert. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Resolves with the status code of a GET (0 when the server cannot be reached), never rejects. */
export function probe(url: string, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {}): Promise<number> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const options =
      u.protocol === 'https:'
        ? { ...tls, rejectUnauthorized: tls.ca !== undefined, agent: false as const }
        : { agent: false as const };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { method: 'GET', ...options },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.setTimeout(5_000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

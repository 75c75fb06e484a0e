/**
 * A minimal HTTPS client for the test cluster's API server, authenticated by the admin's client
 * certificate. The harness polls with it (pod phases, events, readiness) because a kubectl process per
 * poll costs a core on this small machine; assertions that prove behaviour use the real kubectl.
 */
import { readFileSync } from 'node:fs';
import { httpsJson } from '../https-json.js';
import type { CertFiles } from './pki.js';

export interface ApiReply {
  status: number;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: Record<string, unknown> | undefined;
  text: string;
}

export class ApiClient {
  private readonly ca: Buffer;
  private readonly cert: Buffer;
  private readonly key: Buffer;

  constructor(
    readonly server: string,
    caCert: string,
    client: CertFiles,
  ) {
    this.ca = readFileSync(caCert);
    this.cert = readFileSync(client.cert);
    this.key = readFileSync(client.key);
  }

  /** One request; rejects only when the server cannot be reached (or after `timeoutMs`). */
  request(
    method: string,
    path: string,
    options: { body?: unknown; contentType?: string; timeoutMs?: number } = {},
  ): Promise<ApiReply> {
    return httpsJson(new URL(path, this.server), {
      method,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      contentType: options.contentType,
      timeoutMs: options.timeoutMs ?? 15_000,
      tls: { ca: this.ca, cert: this.cert, key: this.key, agent: false },
    });
  }

  /** GET that answers the object, or undefined on 404; throws on any other failure. */
  async get<T = Record<string, unknown>>(path: string): Promise<T | undefined> {
    const reply = await this.request('GET', path);
    if (reply.status === 404) return undefined;
    if (reply.status !== 200) throw new Error(`GET ${path}: ${reply.status} ${reply.text}`);
    return reply.json as T;
  }

  /** A request that must answer 2xx; returns the parsed body. */
  async must(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<Record<string, unknown>> {
    const reply = await this.request(method, path, { body, ...(contentType ? { contentType } : {}) });
    if (reply.status < 200 || reply.status > 299)
      throw new Error(`${method} ${path}: ${reply.status} ${reply.text}`);
    return reply.json ?? {};
  }
}

/**
 * Start an API server on 127.0.0.1 port 0, over HTTPS with a self-signed certificate (kubectl sends
 * bearer tokens only over TLS), and a kubeconfig written by our writer: the fixture the kubectl
 * suites share. `close()` ends the server and removes the temporary directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKubeconfig } from '../../src/api/kubeconfig.js';
import type { ResourceService } from '../../src/api/resource-service.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../../src/api/self-signed.js';
import { createApiServer, type ApiServerOptions } from '../../src/api/server.js';
import { runKubectl, type KubectlResult } from './kubectl.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): Record<string, unknown>;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Token to send; default the harness token; null = none. */
  token?: string | null;
}

export interface ApiHarness {
  url: string;
  token: string;
  dir: string;
  kubeconfig: string;
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** Raw HTTPS request against the server. */
  request(path: string, init?: RawRequest): Promise<RawResponse>;
  close(): Promise<void>;
}

let cert: SelfSignedCertificate | undefined;

export async function startApiHarness(
  service: ResourceService,
  extra: Partial<ApiServerOptions> = {},
): Promise<ApiHarness> {
  cert ??= await generateSelfSignedCertificate();
  const ca = cert.cert;
  const token = randomBytes(24).toString('base64url');
  const dir = mkdtempSync(join(tmpdir(), 'ipkeeper-api-'));
  const server = createApiServer({ service, token, tls: { cert: cert.cert, key: cert.key }, ...extra });
  const { url } = await server.listen('127.0.0.1', 0);
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: url, token, caData: ca });
  const request = (path: string, init: RawRequest = {}): Promise<RawResponse> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      const t = init.token === undefined ? token : init.token;
      if (t !== null) headers['Authorization'] = `Bearer ${t}`;
      const req = httpsRequest(`${url}${path}`, { method: init.method ?? 'GET', headers, ca }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          }),
        );
      });
      req.on('error', reject);
      req.end(init.body);
    });
  return {
    url,
    token,
    dir,
    kubeconfig,
    kubectl: (args, input) => runKubectl(args, { kubeconfig, ...(input !== undefined ? { input } : {}) }),
    request,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Kubeconfig files for the components and the admin of a test cluster (client certificate auth). */
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { CertFiles } from './pki.js';

const b64 = (file: string): string => readFileSync(file).toString('base64');

/** Writes a kubeconfig for `user` (certificate `client`) against `server`, trusting `caCert`. */
export function writeKubeconfig(
  file: string,
  options: { server: string; caCert: string; client: CertFiles; user: string },
): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'ipkeeper-test',
        cluster: { server: options.server, 'certificate-authority-data': b64(options.caCert) },
      },
    ],
    users: [
      {
        name: options.user,
        user: {
          'client-certificate-data': b64(options.client.cert),
          'client-key-data': b64(options.client.key),
        },
      },
    ],
    contexts: [{ name: 'ipkeeper-test', context: { cluster: 'ipkeeper-test', user: options.user } }],
    'current-context': 'ipkeeper-test',
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

/**
 * The certificates and keys of one control plane, made in its `pki/` dir: the cluster CA and the API
 * server's serving certificate, its client certificate towards kubelets, the front proxy's CA and client
 * (aggregated APIs), the service-account signing keys, and client credentials on demand.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { firstHost } from './addresses.js';
import { writeKubeconfig } from './kubeconfig.js';
import { createCa, createServiceAccountKeys, issueCert, type CertFiles } from './pki.js';

export interface ControlPlanePki {
  ca: CertFiles;
  frontProxyCa: CertFiles;
  serviceAccount: { privateKey: string; publicKey: string };
  serving: CertFiles;
  kubeletClient: CertFiles;
  frontProxyClient: CertFiles;
  /** A client certificate for `user` in `groups` and a kubeconfig (`dir/NAME.kubeconfig`) using it. */
  credentials(name: string, user: string, groups?: string[]): { cert: CertFiles; kubeconfig: string };
}

export function createControlPlanePki(dir: string, server: string, serviceCidr: string): ControlPlanePki {
  const pki = join(dir, 'pki');
  mkdirSync(pki);
  const ca = createCa(pki, 'ca');
  const frontProxyCa = createCa(pki, 'front-proxy-ca');
  return {
    ca,
    frontProxyCa,
    serviceAccount: createServiceAccountKeys(pki),
    serving: issueCert(ca, pki, 'apiserver', {
      cn: 'kube-apiserver',
      usage: 'server',
      // The `kubernetes` service IP too: host-network pods reach the API server through it (node-network.ts).
      ips: ['127.0.0.1', firstHost(serviceCidr)],
      dns: [
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
      ],
    }),
    kubeletClient: issueCert(ca, pki, 'apiserver-kubelet-client', {
      cn: 'kube-apiserver-kubelet-client',
      groups: ['system:masters'],
    }),
    frontProxyClient: issueCert(frontProxyCa, pki, 'front-proxy-client', { cn: 'front-proxy-client' }),
    credentials: (name, user, groups = []) => {
      const cert = issueCert(ca, pki, name, { cn: user, groups });
      const kubeconfig = writeKubeconfig(join(dir, `${name}.kubeconfig`), {
        server,
        caCert: ca.cert,
        client: cert,
        user,
      });
      return { cert, kubeconfig };
    },
  };
}

/**
 * The command lines of the control plane's servers (Kubernetes 1.20 flags), each on 127.0.0.1 with the
 * ports picked at start. Every choice this machine forced is commented where it is made.
 */
import { join } from 'node:path';
import type { ControlPlanePki } from './control-plane-pki.js';

export interface ControlPlanePorts {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
}

/** etcd: one member, plain HTTP on loopback (only this cluster's API server talks to it). */
export function etcdArgs(dir: string, ports: ControlPlanePorts): string[] {
  const client = `http://127.0.0.1:${ports.etcd}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    '--name=default',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    '--initial-cluster-state=new',
  ];
}

export function apiServerArgs(pki: ControlPlanePki, ports: ControlPlanePorts, serviceCidr: string): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.apiserver}`,
    '--insecure-port=0',
    '--advertise-address=127.0.0.1',
    // The `kubernetes` Endpoints would name 127.0.0.1, which validation refuses: keep no endpoints.
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${pki.serving.cert}`,
    `--tls-private-key-file=${pki.serving.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    `--service-cluster-ip-range=${serviceCidr}`,
    `--service-account-key-file=${pki.serviceAccount.publicKey}`,
    `--service-account-signing-key-file=${pki.serviceAccount.privateKey}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    `--kubelet-client-certificate=${pki.kubeletClient.cert}`,
    `--kubelet-client-key=${pki.kubeletClient.key}`,
    '--kubelet-preferred-address-types=InternalIP',
    // Aggregation (APIService objects): the front proxy's CA and client; endpoints routed to directly
    // because there is no kube-proxy.
    `--requestheader-client-ca-file=${pki.frontProxyCa.cert}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
    `--proxy-client-key-file=${pki.frontProxyClient.key}`,
    '--enable-aggregator-routing=true',
    '--profiling=false',
  ];
}

/**
 * The flags the controller-manager and scheduler share: their kubeconfig, a secure port for /healthz on
 * loopback, no insecure port (its fixed default would clash between control planes), no leader election.
 */
export function componentArgs(kubeconfig: string, port: number, qps: number, burst: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    '--port=0',
    '--leader-elect=false',
    `--kube-api-qps=${qps}`,
    `--kube-api-burst=${burst}`,
    '--profiling=false',
  ];
}

/** The controller-manager's own flags: service-account tokens and CSR signing by the cluster CA. */
export function controllerManagerArgs(pki: ControlPlanePki, controllers: string[]): string[] {
  return [
    // Every controller acts as the controller-manager's user (bound to cluster-admin at start).
    '--use-service-account-credentials=false',
    `--service-account-private-key-file=${pki.serviceAccount.privateKey}`,
    `--root-ca-file=${pki.ca.cert}`,
    `--cluster-signing-cert-file=${pki.ca.cert}`,
    `--cluster-signing-key-file=${pki.ca.key}`,
    `--controllers=${controllers.join(',')}`,
  ];
}

/**
 * deploy/ as the cluster gets it: rendered by the real kubectl's built-in kustomize (`kubectl kustomize
 * deploy/`, what `kubectl apply -k deploy/` applies), parsed into objects, with lookups for the tests.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO } from './daemon.js';
import { KUBECTL } from './kubectl.js';

export const DEPLOY_DIR = join(REPO, 'deploy');

/** One rendered object (fields read as the tests need them). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  configMap?: { name: string };
}
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
export interface Probe {
  httpGet?: { host?: string; port: number | string; scheme?: string; path: string };
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  ports?: { containerPort: number; name?: string }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}
export interface PodSpec {
  serviceAccountName?: string;
  hostNetwork?: boolean;
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
}

/** `kubectl kustomize DIR` parsed; throws with kubectl's stderr when it fails. */
export function renderDeploy(dir = DEPLOY_DIR): Promise<Manifest[]> {
  return new Promise((resolve, reject) => {
    execFile(KUBECTL, ['kustomize', dir], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`kubectl kustomize ${dir} failed: ${stderr || String(err)}`));
      resolve(parseAllDocuments(stdout).map((d) => d.toJS() as Manifest));
    });
  });
}

/** The one object of `kind` (and `name`, when given); throws naming what is missing. */
export function one(objects: Manifest[], kind: string, name?: string): Manifest {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

/** The pod template's spec of a workload object. */
export function podSpecOf(workload: Manifest): PodSpec {
  return (workload['spec'] as { template: { spec: PodSpec } }).template.spec;
}

/** The host directory behind `path` inside `container` (a hostPath volume mount), or undefined. */
export function hostPathOf(pod: PodSpec, container: Container, path: string): string | undefined {
  for (const m of container.volumeMounts ?? []) {
    const inside = path === m.mountPath || path.startsWith(`${m.mountPath}/`);
    const volume = pod.volumes?.find((v) => v.name === m.name);
    if (inside && volume?.hostPath) return volume.hostPath.path + path.slice(m.mountPath.length);
  }
  return undefined;
}

/**
 * deploy/ as the cluster gets it: rendered by the real kubectl's built-in kustomize (`kubectl kustomize
 * deploy/`, what `kubectl apply -k deploy/` applies), parsed into objects, with lookups for the tests, and
 * the DaemonSet's command line read as the kubelet and the daemon read it.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DAEMON, REPO } from './daemon.js';
import { KUBECTL } from './kubectl.js';

/** The install with a SQLite store per node (`kubectl apply -k deploy/`). */
export const DEPLOY_DIR = join(REPO, 'deploy');
/** The objects both installs build on. */
export const DEPLOY_BASE_DIR = join(DEPLOY_DIR, 'base');
/** The install with every node's daemon on one etcd (`kubectl apply -k deploy/etcd/`). */
export const DEPLOY_ETCD_DIR = join(DEPLOY_DIR, 'etcd');

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
  secret?: { secretName: string; defaultMode?: number };
}
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    configMapKeyRef?: { name: string; key: string };
  };
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

/** `ipkeeperd --help`'s options: name → whether it takes a value. */
export function daemonOptions(): Map<string, boolean> {
  const help = spawnSync(process.execPath, [DAEMON, '--help'], { encoding: 'utf8' }).stdout;
  const options = new Map<string, boolean>();
  for (const m of help.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)(?: (\S+))?(?: {2,}|$)/gm))
    options.set(m[1]!, m[2] !== undefined);
  assert.ok(options.has('--data-dir') && options.has('--help'), `could not read the options of:\n${help}`);
  return options;
}

/** `--name=value` / `--name value` pairs of an argument list, checked against the daemon's options. */
export function parseDaemonArgs(args: string[], known = daemonOptions()): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    assert.ok(known.has(name), `${arg}: ipkeeperd --help has no option ${name}`);
    if (!known.get(name)) continue;
    const value = eq < 0 ? args[++i] : arg.slice(eq + 1);
    assert.ok(value !== undefined && value !== '', `${name} needs a value`);
    out.set(name, value);
  }
  return out;
}

/**
 * A container's environment as the kubelet gives it: plain values, `fieldRef`s from `fields` (by field
 * path), `configMapKeyRef`s from the rendered ConfigMaps (so a name kustomize gave a hash suffix must
 * match). Throws naming a reference that resolves to nothing.
 */
export function containerEnv(
  objects: Manifest[],
  container: Container,
  fields: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const ref = e.valueFrom?.configMapKeyRef;
    let value = e.value;
    if (field !== undefined) value = fields[field];
    else if (ref) {
      const data = (one(objects, 'ConfigMap', ref.name) as Manifest & { data?: Record<string, string> }).data;
      value = data?.[ref.key];
    }
    assert.ok(value !== undefined, `${container.name}: env ${e.name} resolves to nothing`);
    env[e.name] = value;
  }
  return env;
}

/** `$(VAR)` in an argument expanded from `env` as the kubelet does; an unset one fails the test. */
export function expandArgument(arg: string, env: Record<string, string>): string {
  return arg.replace(/\$\((\w+)\)/g, (_, v: string) => env[v] ?? assert.fail(`$(${v}) in ${arg} is not set`));
}

/**
 * Fixtures for the CNI endpoint tests: a network config builder, a runtime-like environment, and a call
 * helper that runs handleCniRequest against the REAL service (src/service IpamService on the memory store).
 * The service is wrapped only to record what the endpoint asked of it (the edge's translation is what these
 * suites check) and, for the internal-error case, to inject a failure no real input can cause.
 */
import { handleCniRequest } from '../../src/cni/handler.js';
import type {
  CniAttachmentRequest,
  CniAddRequest,
  CniAllocation,
  CniCheckRequest,
  CniDelRequest,
  CniGcRequest,
  CniService,
  CniStatusRequest,
} from '../../src/cni/cni-service.js';
import type { CniWireEnv } from '../../src/cni/wire.js';
import { type IpamService } from '../../src/service/service.js';
import { type Store } from '../../src/store/store.js';
import { openTestService } from './service.js';

/** One recorded call. */
export type RecordedCall =
  | { method: 'add'; req: CniAddRequest }
  | { method: 'del'; req: CniDelRequest }
  | { method: 'check'; req: CniCheckRequest }
  | { method: 'gc'; req: CniGcRequest }
  | { method: 'status'; req: CniStatusRequest }
  | { method: 'attachmentMac'; req: CniAttachmentRequest };

/** The real service's CNI operations, with a record of every call. */
export class RecordingCniService implements CniService {
  readonly calls: RecordedCall[] = [];
  /** When set, every call throws it before reaching the service (an internal error no input can cause). */
  failWith: Error | undefined;

  constructor(readonly service: IpamService) {}

  /** Owner interfaces holding addresses, as the engine counts them. */
  get size(): number {
    return this.service.engine.leases.size;
  }

  add(req: CniAddRequest): Promise<CniAllocation> {
    this.enter({ method: 'add', req });
    return this.service.cniService.add(req);
  }

  del(req: CniDelRequest): Promise<void> {
    this.enter({ method: 'del', req });
    return this.service.cniService.del(req);
  }

  check(req: CniCheckRequest): Promise<void> {
    this.enter({ method: 'check', req });
    return this.service.cniService.check(req);
  }

  gc(req: CniGcRequest): Promise<{ released: number }> {
    this.enter({ method: 'gc', req });
    return this.service.cniService.gc(req);
  }

  status(req: CniStatusRequest): Promise<void> {
    this.enter({ method: 'status', req });
    return this.service.cniService.status(req);
  }

  attachmentMac(req: CniAttachmentRequest): Promise<string | undefined> {
    this.enter({ method: 'attachmentMac', req });
    return this.service.cniService.attachmentMac(req);
  }

  private enter(call: RecordedCall): void {
    this.calls.push(call);
    if (this.failWith) throw this.failWith;
  }
}

/** The subnets of the CNI suites: `default` (the default subnet), a dual-stack one and a one-address one. */
export const CNI_SUBNETS = {
  dual: '10.88.0.0/24,fd88::/64',
  tiny: '10.77.0.0/30',
} as const;

/**
 * A fresh real service with the default subnet `default` 10.99.0.0/16, `dual` (10.88.0.0/24 + fd88::/64) and
 * `tiny` (10.77.0.0/30: gateway .1, one address .2), on the memory store or `store`.
 */
export async function memoryService(store?: Store): Promise<RecordingCniService> {
  const service = await openTestService({
    defaultSubnet: { name: 'default', cidrBlock: '10.99.0.0/16' },
    subnets: { ...CNI_SUBNETS },
    ...(store ? { store } : {}),
  });
  return new RecordingCniService(service);
}

/** A network config as a runtime sends it to a delegated IPAM plugin. */
export function netconf(
  overrides: Record<string, unknown> = {},
  ipam: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: 'testnet',
    type: 'bridge',
    bridge: 'cni0',
    ipam: { type: 'ipkeeper', ...ipam },
    ...overrides,
  };
}

/** The environment of an ADD for container `c1`, interface `eth0`. */
export function cniEnv(overrides: CniWireEnv = {}): CniWireEnv {
  return {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'c1',
    CNI_NETNS: '/run/netns/test',
    CNI_IFNAME: 'eth0',
    CNI_PATH: '/opt/cni/bin',
    ...overrides,
  };
}

/** What a call printed, parsed when it is JSON. */
export interface CallResult {
  exitCode: number;
  stdout: string;
  // Test code reads arbitrary result/error fields; a precise type per command would only restate the docs.
  json: Record<string, unknown> & { code?: number; msg?: string };
}

/** Runs one call; `stdin` may be a config object or raw text. */
export async function call(service: CniService, env: CniWireEnv, stdin: unknown): Promise<CallResult> {
  const raw = typeof stdin === 'string' ? stdin : JSON.stringify(stdin);
  const reply = await handleCniRequest({ env, stdin: raw }, service);
  return { ...reply, json: reply.stdout ? (JSON.parse(reply.stdout) as CallResult['json']) : {} };
}

/** ENG-6: a locally administered unicast MAC, lower case. */
export const MAC_PATTERN = /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/;

/** The MAC of a result's first interface, checked against ENG-6 (the engine picks it at random). */
export function macOf(r: CallResult): string {
  const interfaces = r.json['interfaces'] as { name: string; mac?: string }[] | undefined;
  const mac = interfaces?.[0]?.mac ?? '';
  if (!MAC_PATTERN.test(mac)) throw new Error(`no ENG-6 MAC in ${r.stdout}`);
  return mac;
}

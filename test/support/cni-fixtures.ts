/**
 * Fixtures for the CNI endpoint tests: a network config builder, a runtime-like environment and a call
 * helper that runs handleCniRequest against the in-memory CniService (a fake: the real service is being
 * written concurrently in src/service).
 */
import { handleCniRequest } from '../../src/cni/handler.js';
import type { CniWireEnv } from '../../src/cni/wire.js';
import { MemoryCniService } from './cni-memory-service.js';

/** A fresh fake service with a v4 default subnet, a dual-stack one and a tiny one. */
export function memoryService(): MemoryCniService {
  return new MemoryCniService({
    subnets: {
      default: { cidrs: ['10.99.0.0/16'] },
      dual: { cidrs: ['10.88.0.0/24', 'fd88::/64'] },
      tiny: { cidrs: ['10.77.0.0/30'] },
    },
    defaultSubnet: 'default',
  });
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
export async function call(service: MemoryCniService, env: CniWireEnv, stdin: unknown): Promise<CallResult> {
  const raw = typeof stdin === 'string' ? stdin : JSON.stringify(stdin);
  const reply = await handleCniRequest({ env, stdin: raw }, service);
  return { ...reply, json: reply.stdout ? (JSON.parse(reply.stdout) as CallResult['json']) : {} };
}

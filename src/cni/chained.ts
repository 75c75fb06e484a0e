/**
 * ipkeeper as a chained plugin (STA-2, docs/cni.md "MAC addresses"): a conflist entry `{"type":
 * "ipkeeper"}` without `ipam`, after the main plugin. Debian's bridge, macvlan and ipvlan never put an
 * IPAM result's MAC on the interface; this step does, by delegating to the reference `tuning` plugin — as
 * CNI plugins delegate to one another — with the MAC the attachment holds. The daemon decides (here); the
 * plugin executable runs the delegate on the node (src/cni/plugin), and prints what tuning printed: the
 * result with the interface's MAC set.
 */
import type { CniAttachmentRequest, CniService } from './cni-service.js';
import { CniError } from './errors.js';
import type { CniEnv } from './env.js';
import { invalidField, isJsonObject, optionalObject, optionalString, type JsonObject } from './fields.js';
import { parseCniVersion } from './version.js';
import { CniWellKnownCode, type CniVersion, type CniWireResponse } from './wire.js';
import { CNI_ALLOCATION_MISMATCH } from './cni-service.js';

/** The `type` of the chained entry: the plugin's own name. */
export const CHAINED_TYPE = 'ipkeeper';

/** The reference plugin that sets a MAC inside the pod's namespace and reports it in its result. */
export const MAC_DELEGATE = 'tuning';

/** The chained entry's config, validated. */
export interface ChainedConf {
  cniVersion: CniVersion;
  name: string;
  /** The result of the plugins before this one, as received; absent for DEL from old runtimes, GC, STATUS. */
  prevResult?: JsonObject;
}

/** True when stdin is a chained entry: `type` is ipkeeper and there is no `ipam` section. */
export function isChainedConfig(conf: JsonObject): boolean {
  return conf.type === CHAINED_TYPE && conf.ipam === undefined;
}

/** Validates the chained entry. Its other keys (socket, daemon_timeout_seconds) are the plugin's. */
export function parseChainedConf(conf: JsonObject): ChainedConf {
  const cniVersion = parseCniVersion(conf.cniVersion);
  const name = optionalString(conf, 'name', 'name');
  if (!name) throw invalidField('name', 'is required');
  const out: ChainedConf = { cniVersion, name };
  const prevResult = optionalObject(conf, 'prevResult', 'prevResult');
  if (prevResult) out.prevResult = prevResult;
  return out;
}

/** The attachment the chained call is about; ipkeeper's IPAM step allocated it earlier in the chain. */
export type AttachmentOf = (env: CniEnv, network: string) => CniAttachmentRequest;

/**
 * Serves one chained call. ADD: no MAC held → prevResult unchanged (a chained plugin with nothing to do
 * passes the result on); a MAC → delegate to tuning, which sets it on CNI_IFNAME in the pod's namespace
 * and returns prevResult with that interface's MAC. CHECK: the MAC the runtime's result shows must be the
 * held one, then tuning checks the interface has it. DEL: tuning restores what it saved. GC, STATUS:
 * nothing of this step's to do.
 */
export async function serveChained(
  env: CniEnv,
  conf: ChainedConf,
  service: CniService,
  attachmentOf: AttachmentOf,
): Promise<CniWireResponse> {
  switch (env.command) {
    case 'ADD': {
      const prev = requirePrevResult(conf, 'ADD');
      const mac = await service.attachmentMac(attachmentOf(env, conf.name));
      if (!mac) return { exitCode: 0, stdout: JSON.stringify({ ...prev, cniVersion: conf.cniVersion }) };
      return delegateToTuning(conf, mac, prev);
    }
    case 'CHECK': {
      const prev = requirePrevResult(conf, 'CHECK');
      const mac = await service.attachmentMac(attachmentOf(env, conf.name));
      if (!mac) return { exitCode: 0, stdout: '' };
      const shown = interfaceMac(prev, env.ifName);
      if (shown !== undefined && shown.toLowerCase() !== mac) {
        throw Object.assign(
          new Error(`${env.ifName} is recorded with MAC ${mac}, but the runtime's result shows ${shown}`),
          { code: CNI_ALLOCATION_MISMATCH },
        );
      }
      return delegateToTuning(conf, mac, prev);
    }
    case 'DEL': {
      const mac = await service.attachmentMac(attachmentOf(env, conf.name));
      return mac ? delegateToTuning(conf, mac, conf.prevResult) : { exitCode: 0, stdout: '' };
    }
    case 'GC':
    case 'STATUS':
      return { exitCode: 0, stdout: '' };
    case 'VERSION':
      // Answered by the plugin and by the handler before any config is read.
      throw new CniError(CniWellKnownCode.Internal, 'VERSION reached the chained step');
  }
}

function requirePrevResult(conf: ChainedConf, command: string): JsonObject {
  if (conf.prevResult) return conf.prevResult;
  throw invalidField(
    'prevResult',
    `is required for ${command}: ipkeeper without an ipam section is a chained step, listed after the ` +
      `main plugin of a conflist (docs/cni.md, "MAC addresses")`,
  );
}

/**
 * tuning's config: only the MAC (and prevResult). `CNI_ARGS` is cleared for the delegate, because tuning
 * lets a `MAC=` there win over its config, and refuses CNI_ARGS keys it does not know without
 * `IgnoreUnknown` — the MAC to apply is the one ipkeeper recorded, nothing else.
 */
function delegateToTuning(
  conf: ChainedConf,
  mac: string,
  prevResult: JsonObject | undefined,
): CniWireResponse {
  const stdin: JsonObject = { cniVersion: conf.cniVersion, name: conf.name, type: MAC_DELEGATE, mac };
  if (prevResult) stdin.prevResult = prevResult;
  return {
    exitCode: 0,
    stdout: '',
    delegate: { plugin: MAC_DELEGATE, stdin: JSON.stringify(stdin), cniArgs: '' },
  };
}

/** The MAC prevResult shows for the interface named `ifName` inside the sandbox, if any. */
function interfaceMac(prevResult: JsonObject, ifName: string): string | undefined {
  const interfaces = Array.isArray(prevResult.interfaces) ? prevResult.interfaces : [];
  const match = interfaces.find(
    (i): i is JsonObject =>
      isJsonObject(i) && i.name === ifName && typeof i.sandbox === 'string' && i.sandbox !== '',
  );
  return typeof match?.mac === 'string' ? match.mac : undefined;
}

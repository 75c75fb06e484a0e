import { parseCniArgs } from './cni-args.js';
import type { CniAttachmentRequest, CniService } from './cni-service.js';
import { parseCniEnv, type CniEnv } from './env.js';
import { invalidField } from './fields.js';
import { CniError, toCniError, type MappedCniError } from './errors.js';
import { isChainedConfig, parseChainedConf, serveChained } from './chained.js';
import { decodeConfig, parseNetConfObject, type NetConf } from './netconf.js';
import { ownerOf, staticRequestOf } from './requests.js';
import { formatAddResult } from './result.js';
import { requireVersionFor } from './version.js';
import {
  CniWellKnownCode,
  LATEST_CNI_VERSION,
  isCniCommand,
  SUPPORTED_CNI_VERSIONS,
  versionInfo,
  type CniErrorBody,
  type CniWireRequest,
  type CniWireResponse,
} from './wire.js';

/** The `command` of a {@link CniFailure} whose CNI_COMMAND is missing or not one ipkeeper serves. */
export const INVALID_COMMAND = 'invalid';

/** What the endpoint reports once per failed call, for the daemon's request log (the core never logs). */
export interface CniFailure {
  /** One of the CNI commands, or {@link INVALID_COMMAND}. */
  command: string;
  containerId: string;
  ifName: string;
  error: MappedCniError;
  /** The thrown value, for stack traces of internal errors (code 999). */
  cause: unknown;
}

/** Optional hooks; the daemon passes a logger, tests usually pass nothing. */
export interface CniHandlerOptions {
  onFailure?: (failure: CniFailure) => void;
}

/**
 * Serves one forwarded CNI call: validates env and stdin, calls the service, and returns what the plugin
 * must print and its exit code. Input is fully validated before the service is called, so a bad call
 * never changes state (SEC-2). Never throws: every failure becomes a CNI error object.
 */
export async function handleCniRequest(
  req: CniWireRequest,
  service: CniService,
  options: CniHandlerOptions = {},
): Promise<CniWireResponse> {
  let conf: NetConf | undefined;
  // Reported (log, metrics label) only as one of the known commands: a caller's arbitrary CNI_COMMAND
  // must never become a new metrics series.
  const command: string = isCniCommand(req.env.CNI_COMMAND) ? req.env.CNI_COMMAND : INVALID_COMMAND;
  try {
    const env = parseCniEnv(req.env);
    if (env.command === 'VERSION')
      return { exitCode: 0, stdout: JSON.stringify(versionInfo(peekVersion(req.stdin))) };
    const raw = decodeConfig(req.stdin);
    if (isChainedConfig(raw)) {
      const chained = parseChainedConf(raw);
      requireVersionFor(env.command, chained.cniVersion);
      return await serveChained(env, chained, service, chainedAttachment);
    }
    conf = parseNetConfObject(raw);
    requireVersionFor(env.command, conf.cniVersion);
    return await dispatch(env, conf, service);
  } catch (err) {
    const error = toCniError(err, { command });
    options.onFailure?.({
      command,
      containerId: req.env.CNI_CONTAINERID ?? '',
      ifName: req.env.CNI_IFNAME ?? '',
      error,
      cause: err,
    });
    const body: CniErrorBody = {
      cniVersion: conf?.cniVersion ?? peekVersion(req.stdin) ?? LATEST_CNI_VERSION,
      ...error,
    };
    return { exitCode: 1, stdout: JSON.stringify(body) };
  }
}

const OK: CniWireResponse = { exitCode: 0, stdout: '' };

async function dispatch(env: CniEnv, conf: NetConf, service: CniService): Promise<CniWireResponse> {
  switch (env.command) {
    case 'ADD': {
      const allocation = await service.add({
        ...attachmentRequest(env, conf),
        netns: env.netns,
        requested: staticRequestOf(conf, parseCniArgs(env.args)),
        annotations: conf.podAnnotations,
        macApplication: conf.ipam.macApplication,
      });
      const result = formatAddResult(allocation, {
        version: conf.cniVersion,
        ifName: env.ifName,
        ipam: conf.ipam,
        ...(conf.dns ? { dns: conf.dns } : {}),
      });
      return { exitCode: 0, stdout: JSON.stringify(result) };
    }
    case 'DEL':
      await service.del(attachmentRequest(env, conf));
      return OK;
    case 'CHECK':
      if (!conf.prevResultIps) throw invalidField('prevResult', 'is required for CHECK');
      await service.check({ ...attachmentRequest(env, conf), expectedIps: conf.prevResultIps });
      return OK;
    case 'GC':
      if (!conf.validAttachments) throw invalidField('cni.dev/valid-attachments', 'is required for GC');
      await service.gc({
        network: conf.name,
        ipam: conf.ipam.selection,
        validAttachments: conf.validAttachments,
      });
      return OK;
    case 'STATUS':
      await service.status({ network: conf.name, ipam: conf.ipam.selection });
      return OK;
    case 'VERSION':
      // Answered before the config is parsed; unreachable, kept so the switch stays exhaustive.
      throw new CniError(CniWellKnownCode.Internal, 'VERSION reached dispatch');
  }
}

function attachmentRequest(env: CniEnv, conf: NetConf): CniAttachmentRequest {
  return {
    network: conf.name,
    attachment: { containerId: env.containerId, ifName: env.ifName },
    owner: ownerOf(env, parseCniArgs(env.args)),
    ipam: conf.ipam.selection,
  };
}

/** The attachment a chained call is about: the same key as the IPAM step's (owner and interface). */
function chainedAttachment(env: CniEnv, network: string): CniAttachmentRequest {
  return {
    network,
    attachment: { containerId: env.containerId, ifName: env.ifName },
    owner: ownerOf(env, parseCniArgs(env.args)),
    ipam: { ippools: [], defaultIpv4Pools: [], defaultIpv6Pools: [] },
  };
}

/** The config's version when it is one we speak, so even an error about the config answers in its version. */
function peekVersion(stdin: string): string | undefined {
  try {
    const v: unknown = (JSON.parse(stdin) as { cniVersion?: unknown } | null)?.cniVersion;
    return typeof v === 'string' && (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

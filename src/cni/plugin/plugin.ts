import {
  CNI_ENDPOINT_PATH,
  CNI_WIRE_ENV_KEYS,
  CniWellKnownCode,
  DEFAULT_SOCKET_PATH,
  LATEST_CNI_VERSION,
  SOCKET_ENV_VAR,
  versionInfo,
  type CniErrorBody,
  type CniWireEnv,
  type CniWireRequest,
  type CniWireResponse,
} from '../wire.js';
import type { HttpReply } from './http-over-socket.js';

/** Sends the request body to the daemon; {@link postJson} in production, a fake in tests. */
export type PostJson = (
  socketPath: string,
  path: string,
  json: string,
  timeoutMs: number,
) => Promise<HttpReply>;

/** Everything one plugin run reads from its process: environment and stdin, already captured. */
export interface PluginInput {
  env: Readonly<Record<string, string | undefined>>;
  stdin: string;
}

/** How long the plugin waits for the daemon before answering "try again later". */
export const DAEMON_TIMEOUT_MS = 60_000;

/**
 * One CNI call. The plugin decides only what it must decide without the daemon: VERSION, where the
 * daemon is, and what to say when the daemon cannot be reached. Every other answer — including errors
 * about bad input — is the daemon's, printed verbatim.
 */
export async function runPlugin(input: PluginInput, post: PostJson): Promise<CniWireResponse> {
  const config = peekConfig(input.stdin);
  if (input.env.CNI_COMMAND === 'VERSION') return versionReply(config.cniVersion);
  const socketPath = input.env[SOCKET_ENV_VAR] || config.socket || DEFAULT_SOCKET_PATH;
  const request: CniWireRequest = { env: wireEnv(input.env), stdin: input.stdin };
  try {
    const reply = await post(socketPath, CNI_ENDPOINT_PATH, JSON.stringify(request), DAEMON_TIMEOUT_MS);
    return decodeReply(reply);
  } catch (err) {
    // STATUS asks "can you serve ADD now?": an unreachable daemon means "no" (50), not "retry" (11).
    const code =
      input.env.CNI_COMMAND === 'STATUS'
        ? CniWellKnownCode.PluginNotAvailable
        : CniWellKnownCode.TryAgainLater;
    return errorReply(config.cniVersion, code, `ipkeeper daemon unreachable at ${socketPath}`, describe(err));
  }
}

/** The few fields the plugin needs from stdin; a config it cannot parse is left for the daemon to refuse. */
interface PeekedConfig {
  cniVersion: string | undefined;
  socket: string | undefined;
}

function peekConfig(stdin: string): PeekedConfig {
  try {
    const parsed: unknown = JSON.parse(stdin);
    if (!isObject(parsed)) return { cniVersion: undefined, socket: undefined };
    const ipam = parsed.ipam;
    return {
      cniVersion: typeof parsed.cniVersion === 'string' ? parsed.cniVersion : undefined,
      socket:
        isObject(ipam) && typeof ipam.socket === 'string' && ipam.socket !== '' ? ipam.socket : undefined,
    };
  } catch {
    return { cniVersion: undefined, socket: undefined };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function wireEnv(env: PluginInput['env']): CniWireEnv {
  const out: CniWireEnv = {};
  for (const key of CNI_WIRE_ENV_KEYS) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function versionReply(requested: string | undefined): CniWireResponse {
  return { exitCode: 0, stdout: JSON.stringify(versionInfo(requested)) };
}

function decodeReply(reply: HttpReply): CniWireResponse {
  if (reply.status !== 200) {
    throw new Error(`the daemon answered HTTP ${reply.status}: ${reply.body.slice(0, 200)}`);
  }
  const parsed: unknown = JSON.parse(reply.body);
  if (!isObject(parsed) || typeof parsed.exitCode !== 'number' || typeof parsed.stdout !== 'string') {
    throw new Error('the daemon answered without exitCode/stdout');
  }
  return { exitCode: parsed.exitCode, stdout: parsed.stdout };
}

function errorReply(
  version: string | undefined,
  code: number,
  msg: string,
  details: string,
): CniWireResponse {
  const body: CniErrorBody = { cniVersion: version ?? LATEST_CNI_VERSION, code, msg, details };
  return { exitCode: 1, stdout: JSON.stringify(body) };
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

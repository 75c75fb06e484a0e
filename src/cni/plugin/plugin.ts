import {
  CNI_ENDPOINT_PATH,
  CNI_WIRE_ENV_KEYS,
  CniWellKnownCode,
  DAEMON_TIMEOUT_KEY,
  DEFAULT_SOCKET_PATH,
  DELEGATE_NAME_RE,
  LATEST_CNI_VERSION,
  SOCKET_ENV_VAR,
  SUPPORTED_CNI_VERSIONS,
  daemonTimeoutSeconds,
  decodeNetworkConfig,
  isCniCommand,
  unknownCommand,
  versionInfo,
  type CniDelegation,
  type CniErrorBody,
  type CniWireEnv,
  type CniWireRequest,
  type CniWireResponse,
} from '../wire.js';
import type { HttpReply } from './http-reply.js';

/** What one plugin run needs from the process it runs in: bun-host.ts in the executable, fakes in tests. */
export interface PluginHost {
  /** POSTs `json` over the unix socket; rejects with a `TransportError`-like `{code, message}`. */
  post(socketPath: string, path: string, json: string, timeoutMs: number): Promise<HttpReply>;
  /** The executable `name` in the first `CNI_PATH` directory that has it, else undefined. */
  findPlugin(name: string, cniPath: string): string | undefined;
  /** Runs a delegate plugin with exactly `env` and `stdin`. */
  exec(file: string, env: Record<string, string>, stdin: string): Promise<ExecOutcome>;
}

/** What a delegate plugin printed and how it exited. */
export interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Everything one plugin run reads from its process: environment and stdin, already captured. */
export interface PluginInput {
  env: Readonly<Record<string, string | undefined>>;
  stdin: string;
}

/**
 * One CNI call. The plugin decides only what it must decide without the daemon, so that every failure it
 * can see is a CNI error with the right code (DEP-1, CNI-5): the command (4), stdin that cannot be decoded
 * (6) — whatever the socket, so garbage is never answered "try again" —, where the daemon is and how long
 * to wait (7 when those keys are malformed), VERSION, and what to say when the daemon cannot be reached
 * (11; 5 when the socket refuses us for good). Every other answer is the daemon's, printed verbatim, or the
 * answer of the plugin the daemon asks it to delegate to.
 */
export async function runPlugin(input: PluginInput, host: PluginHost): Promise<CniWireResponse> {
  const command = input.env.CNI_COMMAND;
  if (!command)
    return errorReply(
      undefined,
      CniWellKnownCode.InvalidEnvironment,
      'required env variables [CNI_COMMAND] missing',
    );
  if (!isCniCommand(command))
    return errorReply(undefined, CniWellKnownCode.InvalidEnvironment, unknownCommand(command));
  // VERSION needs no config: some runtimes send none, so an undecodable stdin only loses the echo.
  if (command === 'VERSION') return versionReply(peekVersion(input.stdin));
  const config = readConfig(input.stdin);
  if ('exitCode' in config) return config;
  const fromEnv = input.env[SOCKET_ENV_VAR];
  const socketPath = fromEnv || config.socket || DEFAULT_SOCKET_PATH;
  // A path the kernel cannot bind never becomes reachable: say so instead of "try again" (EINVAL).
  if (new TextEncoder().encode(socketPath).length > MAX_SOCKET_PATH_BYTES) {
    const [code, name] = fromEnv
      ? [CniWellKnownCode.InvalidEnvironment, SOCKET_ENV_VAR]
      : [CniWellKnownCode.InvalidConfig, config.socketField];
    return errorReply(
      config.cniVersion,
      code,
      `${name} ${socketPath} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a unix socket path may have`,
    );
  }
  const request: CniWireRequest = { env: wireEnv(input.env), stdin: input.stdin };
  let answer: CniWireResponse;
  try {
    const reply = await host.post(socketPath, CNI_ENDPOINT_PATH, JSON.stringify(request), config.timeoutMs);
    answer = decodeReply(reply);
  } catch (err) {
    return unreachable(command, config, socketPath, err);
  }
  return answer.delegate ? delegate(answer.delegate, input, host, config.cniVersion) : answer;
}

/** The fields of stdin the plugin itself needs, validated; or the error reply for stdin that is not usable. */
interface PluginConfig {
  cniVersion: string | undefined;
  socket: string | undefined;
  /** Where `socket` was read: `ipam.socket`, or `socket` of a chained entry. */
  socketField: string;
  timeoutMs: number;
}

/** Linux's `sun_path` holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

function readConfig(stdin: string): PluginConfig | CniWireResponse {
  const decoded = decodeNetworkConfig(stdin);
  if (!decoded.ok) return errorReply(undefined, CniWellKnownCode.DecodingFailure, decoded.message);
  const parsed = decoded.config;
  const cniVersion = typeof parsed.cniVersion === 'string' ? parsed.cniVersion : undefined;
  // As IPAM the keys live in `ipam`; as a chained step (`{"type": "ipkeeper"}`, no ipam) at the top.
  const ipam = isObject(parsed.ipam) ? parsed.ipam : undefined;
  const section = ipam ?? parsed;
  const prefix = ipam ? 'ipam.' : '';
  const socket = section.socket;
  if (socket !== undefined && (typeof socket !== 'string' || socket === '')) {
    return errorReply(
      cniVersion,
      CniWellKnownCode.InvalidConfig,
      `${prefix}socket must be a non-empty path, not ${JSON.stringify(socket)}`,
    );
  }
  const seconds = daemonTimeoutSeconds(section[DAEMON_TIMEOUT_KEY]);
  if (typeof seconds !== 'number')
    return errorReply(
      cniVersion,
      CniWellKnownCode.InvalidConfig,
      `${prefix}${DAEMON_TIMEOUT_KEY} ${seconds.problem}`,
    );
  return { cniVersion, socket, socketField: `${prefix}socket`, timeoutMs: seconds * 1000 };
}

/**
 * The daemon could not be asked. A missing socket, a refused connection or no answer in time may mend by
 * themselves (the daemon starting, restarting, catching up): 11, try again. A socket we may not open never
 * mends by retrying — it is owner-only (SEC-1) and we run as someone else —, so that is 5 with the fix.
 * STATUS asks "can you serve ADD now?": always 50 ("no"), never "retry".
 */
function unreachable(
  command: string,
  config: PluginConfig,
  socketPath: string,
  err: unknown,
): CniWireResponse {
  const code = errorCode(err);
  const details = describe(err);
  const version = config.cniVersion;
  if (code === 'EACCES' || code === 'EPERM') {
    return errorReply(
      version,
      command === 'STATUS' ? CniWellKnownCode.PluginNotAvailable : CniWellKnownCode.IoFailure,
      `permission denied on the ipkeeper daemon socket ${socketPath}: it is owner-only (mode 0600); ` +
        `run the plugin as the daemon's user (root on a node)`,
      details,
    );
  }
  const retry = command === 'STATUS' ? CniWellKnownCode.PluginNotAvailable : CniWellKnownCode.TryAgainLater;
  if (code === 'ETIMEDOUT') {
    return errorReply(
      version,
      retry,
      `ipkeeper daemon at ${socketPath} did not answer within ${config.timeoutMs / 1000} s (${DAEMON_TIMEOUT_KEY})`,
      details,
    );
  }
  const hint =
    code === 'ENOENT'
      ? ': no such socket (is ipkeeperd running, with --socket the same path?)'
      : code === 'ECONNREFUSED'
        ? ': connection refused (ipkeeperd is not running)'
        : '';
  return errorReply(version, retry, `ipkeeper daemon unreachable at ${socketPath}${hint}`, details);
}

/**
 * Runs the plugin the daemon delegated to (the chained MAC step's `tuning`), found in `CNI_PATH` as CNI
 * plugins find one another, with the call's CNI variables, and answers what it answered.
 */
async function delegate(
  plan: CniDelegation,
  input: PluginInput,
  host: PluginHost,
  version: string | undefined,
): Promise<CniWireResponse> {
  if (!DELEGATE_NAME_RE.test(plan.plugin))
    return errorReply(
      version,
      CniWellKnownCode.Internal,
      `the daemon asked to run ${JSON.stringify(plan.plugin)}, which is not a plugin name`,
    );
  const cniPath = input.env.CNI_PATH ?? '';
  const file = host.findPlugin(plan.plugin, cniPath);
  if (!file) {
    return errorReply(
      version,
      CniWellKnownCode.InvalidEnvironment,
      `failed to find plugin "${plan.plugin}" in CNI_PATH [${cniPath.split(':').filter(Boolean).join(' ')}]`,
      `the chained ipkeeper step applies the pod's MAC through the reference "${plan.plugin}" plugin: ` +
        `install it beside ipkeeper (Debian: containernetworking-plugins)`,
    );
  }
  const env: Record<string, string> = { ...wireEnv(input.env) };
  if (plan.cniArgs !== undefined) env.CNI_ARGS = plan.cniArgs;
  const path = input.env.PATH;
  if (path !== undefined) env.PATH = path;
  let out: ExecOutcome;
  try {
    out = await host.exec(file, env, plan.stdin);
  } catch (err) {
    return errorReply(version, CniWellKnownCode.Internal, `could not run ${file}`, describe(err));
  }
  if (out.exitCode === 0 || isCniError(out.stdout))
    return { exitCode: out.exitCode === 0 ? 0 : 1, stdout: out.stdout };
  return errorReply(
    version,
    CniWellKnownCode.Internal,
    `${plan.plugin} failed with exit status ${out.exitCode} and no CNI error`,
    out.stderr.trim().slice(0, 500),
  );
}

function isCniError(stdout: string): boolean {
  try {
    const parsed: unknown = JSON.parse(stdout);
    return isObject(parsed) && typeof parsed.code === 'number';
  } catch {
    return false;
  }
}

function peekVersion(stdin: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(stdin);
    return isObject(parsed) && typeof parsed.cniVersion === 'string' ? parsed.cniVersion : undefined;
  } catch {
    return undefined;
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
  const answer: CniWireResponse = { exitCode: parsed.exitCode, stdout: parsed.stdout };
  const plan = parsed.delegate;
  if (plan !== undefined) {
    if (!isObject(plan) || typeof plan.plugin !== 'string' || typeof plan.stdin !== 'string')
      throw new Error('the daemon answered with a malformed delegate');
    answer.delegate = { plugin: plan.plugin, stdin: plan.stdin };
    if (typeof plan.cniArgs === 'string') answer.delegate.cniArgs = plan.cniArgs;
  }
  return answer;
}

function errorReply(
  version: string | undefined,
  code: number,
  msg: string,
  details?: string,
): CniWireResponse {
  // An error answers in the config's version when we speak it, else in our newest.
  const known = version !== undefined && (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(version);
  const body: CniErrorBody = { cniVersion: known ? version : LATEST_CNI_VERSION, code, msg };
  if (details) body.details = details;
  return { exitCode: 1, stdout: JSON.stringify(body) };
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = errorCode(err);
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

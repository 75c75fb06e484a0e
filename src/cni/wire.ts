/**
 * The wire contract between the `ipkeeper` CNI plugin executable and the daemon. The plugin is a thin
 * forwarder: it sends the runtime's CNI environment and raw stdin as one `POST /v1/cni` over the daemon's
 * unix socket and prints the daemon's answer verbatim. Everything here is shared by both sides, so the
 * plugin (src/cni/plugin) imports nothing else from the project.
 */

/** HTTP path of the CNI endpoint on the daemon's unix socket. */
export const CNI_ENDPOINT_PATH = '/v1/cni';

/** Socket used when the network config has no `ipam.socket` and `IPKEEPER_SOCKET` is unset. */
export const DEFAULT_SOCKET_PATH = '/run/ipkeeper/ipkeeper.sock';

/** Environment variable that overrides the socket path (tests, unusual installs). */
export const SOCKET_ENV_VAR = 'IPKEEPER_SOCKET';

/** Hard cap on stdin; real configs are a few KiB, and the daemon must never be made to parse megabytes. */
export const MAX_STDIN_BYTES = 1 << 20;

/** The commands ipkeeper answers; anything else is code 4 from the plugin, before the daemon is asked. */
export const CNI_COMMANDS = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'] as const;
/** One of {@link CNI_COMMANDS}. */
export type CniCommand = (typeof CNI_COMMANDS)[number];

/** True when `command` is one of {@link CNI_COMMANDS}. */
export function isCniCommand(command: string | undefined): command is CniCommand {
  return (CNI_COMMANDS as readonly (string | undefined)[]).includes(command);
}

/** The code-4 message for a `CNI_COMMAND` ipkeeper does not serve; plugin and daemon say the same. */
export function unknownCommand(command: string): string {
  return `invalid env variables [CNI_COMMAND=${JSON.stringify(command)}]: ipkeeper serves ${CNI_COMMANDS.join(', ')}`;
}

/**
 * The config key (in `ipam`, or at the top of a chained `{"type": "ipkeeper"}` entry) that bounds how long
 * the plugin waits for the daemon's answer before it gives up with code 11.
 */
export const DAEMON_TIMEOUT_KEY = 'daemon_timeout_seconds';

/**
 * Default of {@link DAEMON_TIMEOUT_KEY}. An ADD is a few milliseconds, or a few seconds when the store
 * elects a leader; 30 s is far beyond both and well inside the kubelet's 2-minute CRI deadline, so a hung
 * daemon fails the call (and the kubelet retries the sandbox) instead of eating the runtime's whole budget.
 */
export const DEFAULT_DAEMON_TIMEOUT_SECONDS = 30;

/** Largest accepted {@link DAEMON_TIMEOUT_KEY}: more would outlive any runtime's own deadline. */
export const MAX_DAEMON_TIMEOUT_SECONDS = 600;

/**
 * Validates a {@link DAEMON_TIMEOUT_KEY} value (`undefined` = the default). Returns seconds, or the text of
 * what is wrong, for the caller to report under its field name.
 */
export function daemonTimeoutSeconds(value: unknown): number | { problem: string } {
  if (value === undefined) return DEFAULT_DAEMON_TIMEOUT_SECONDS;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    value > MAX_DAEMON_TIMEOUT_SECONDS
  )
    return {
      problem: `must be a number of seconds above 0 and at most ${MAX_DAEMON_TIMEOUT_SECONDS}, not ${JSON.stringify(value)}`,
    };
  return value;
}

/**
 * Spec versions ipkeeper speaks, oldest first. 0.3.0 has the same result shape as 0.3.1, so it costs
 * nothing to accept; anything older has a different result type (0.2.0 `ip4`/`ip6`) and is refused.
 */
export const SUPPORTED_CNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

/** One of {@link SUPPORTED_CNI_VERSIONS}. */
export type CniVersion = (typeof SUPPORTED_CNI_VERSIONS)[number];

/** The newest version we speak: used when an answer must carry a version and the input has none. */
export const LATEST_CNI_VERSION: CniVersion = '1.1.0';

/** The well-known CNI error codes (spec "Error" section) that both sides emit. */
export const CniWellKnownCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidConfig: 7,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  PluginNotAvailableLimitedConnectivity: 51,
  /** Not in the spec; the Go library's `ErrInternal`, which runtimes already know. */
  Internal: 999,
} as const;

/** The CNI variables forwarded to the daemon; absent ones are left out, never sent as `""`. */
export interface CniWireEnv {
  CNI_COMMAND?: string;
  CNI_CONTAINERID?: string;
  CNI_NETNS?: string;
  CNI_IFNAME?: string;
  CNI_ARGS?: string;
  CNI_PATH?: string;
}

/** Names of the forwarded variables, in the order the plugin copies them. */
export const CNI_WIRE_ENV_KEYS = [
  'CNI_COMMAND',
  'CNI_CONTAINERID',
  'CNI_NETNS',
  'CNI_IFNAME',
  'CNI_ARGS',
  'CNI_PATH',
] as const satisfies readonly (keyof CniWireEnv)[];

/** Body of `POST /v1/cni`. `stdin` is the runtime's raw stdin, unparsed: the daemon owns all parsing. */
export interface CniWireRequest {
  env: CniWireEnv;
  stdin: string;
}

/**
 * Answer to `POST /v1/cni` (HTTP 200). The plugin prints `stdout` verbatim and exits with `exitCode`, unless
 * `delegate` is set: then it runs that plugin and prints the delegate's answer instead.
 */
export interface CniWireResponse {
  exitCode: number;
  stdout: string;
  delegate?: CniDelegation;
}

/**
 * A plugin the `ipkeeper` executable must run next, as CNI plugins delegate to one another: found by name in
 * `CNI_PATH`, run with the call's CNI variables (`CNI_ARGS` replaced by `cniArgs` when given) and `stdin`,
 * its stdout and exit status passed through. The daemon decides what to delegate; the plugin runs it,
 * because the delegate must run on the node, in the runtime's environment (the chained MAC step: `tuning`).
 */
export interface CniDelegation {
  /** Executable name in `CNI_PATH`; a bare name ({@link DELEGATE_NAME_RE}), never a path. */
  plugin: string;
  stdin: string;
  cniArgs?: string;
}

/** What a delegate's name may be: a file name, so a reply can never make the plugin run another path. */
export const DELEGATE_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The CNI error object printed on stdout with a non-zero exit (spec "Error"). */
export interface CniErrorBody {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** The VERSION answer: echoes the caller's version when we speak it (spec), else names our newest. */
export function versionInfo(requested: string | undefined): {
  cniVersion: string;
  supportedVersions: readonly string[];
} {
  const known = (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(requested ?? '');
  return {
    cniVersion: known && requested ? requested : LATEST_CNI_VERSION,
    supportedVersions: SUPPORTED_CNI_VERSIONS,
  };
}

/**
 * The network config on stdin as a JSON object, or why it cannot be one (CNI code 6, DecodingFailure). One
 * decoder for the plugin, which answers without the daemon, and the daemon, which checks again.
 */
export function decodeNetworkConfig(
  stdin: string,
): { ok: true; config: Record<string, unknown> } | { ok: false; message: string } {
  if (Buffer.byteLength(stdin, 'utf8') > MAX_STDIN_BYTES)
    return { ok: false, message: `network config larger than ${MAX_STDIN_BYTES} bytes` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdin);
  } catch (err) {
    const why =
      stdin.trim() === ''
        ? 'stdin is empty (the runtime passes the network config there)'
        : (err as Error).message;
    return { ok: false, message: `error decoding network config: ${why}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, message: 'error decoding network config: not a JSON object' };
  return { ok: true, config: parsed as Record<string, unknown> };
}

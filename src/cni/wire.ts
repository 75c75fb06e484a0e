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

/** Answer to `POST /v1/cni` (HTTP 200). The plugin prints `stdout` verbatim and exits with `exitCode`. */
export interface CniWireResponse {
  exitCode: number;
  stdout: string;
}

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

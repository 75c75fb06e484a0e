import { CniError } from './errors.js';
import {
  CNI_COMMANDS,
  CniWellKnownCode,
  isCniCommand,
  unknownCommand,
  type CniCommand,
  type CniWireEnv,
} from './wire.js';

export { CNI_COMMANDS, type CniCommand };

/** The validated CNI environment of one call; fields a command does not need may be empty strings. */
export interface CniEnv {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifName: string;
  args: string | undefined;
}

/**
 * Variables each command requires (spec "Parameters"). CNI_PATH is not required: ipkeeper delegates to
 * no other plugin, so it never searches the path (the Go skel's stricter rule buys nothing here).
 */
const REQUIRED: Record<CniCommand, readonly (keyof CniWireEnv)[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
  GC: [],
  STATUS: [],
  VERSION: [],
};

/** Same rule as the CNI library's ValidateContainerID. */
const CONTAINER_ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Validates the environment for its command. Missing or invalid variables fail with code 4 and a message
 * naming all of them, so one error tells the operator everything that is wrong.
 */
export function parseCniEnv(env: CniWireEnv): CniEnv {
  const command = env.CNI_COMMAND;
  if (!command)
    throw new CniError(CniWellKnownCode.InvalidEnvironment, 'required env variables [CNI_COMMAND] missing');
  if (!isCniCommand(command))
    throw new CniError(CniWellKnownCode.InvalidEnvironment, unknownCommand(command));
  const cmd = command;
  const missing = REQUIRED[cmd].filter((key) => !env[key]);
  if (missing.length > 0) {
    throw new CniError(
      CniWellKnownCode.InvalidEnvironment,
      `required env variables [${missing.join(' ')}] missing`,
    );
  }
  const invalid: string[] = [];
  const containerId = env.CNI_CONTAINERID ?? '';
  if (containerId && !CONTAINER_ID_RE.test(containerId))
    invalid.push(`CNI_CONTAINERID=${JSON.stringify(containerId)}`);
  const ifName = env.CNI_IFNAME ?? '';
  if (ifName && !validInterfaceName(ifName)) invalid.push(`CNI_IFNAME=${JSON.stringify(ifName)}`);
  if (invalid.length > 0) {
    throw new CniError(CniWellKnownCode.InvalidEnvironment, `invalid env variables [${invalid.join(' ')}]`);
  }
  return { command: cmd, containerId, netns: env.CNI_NETNS ?? '', ifName, args: env.CNI_ARGS };
}

/** Linux interface names: 1–15 bytes, not `.`/`..`, no `/`, `:` or whitespace (CNI's ValidateInterfaceName). */
function validInterfaceName(name: string): boolean {
  return name.length <= 15 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
}

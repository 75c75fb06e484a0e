/** Whether this machine can run the real one-node cluster, and if not, why and what fixes it. */
import { accessSync, constants } from 'node:fs';
import { KUBECTL } from '../kubectl.js';
import { BUILD_COMMAND, DEBIAN_BIN, DEBIAN_CNI_DIR, IMAGES, K8S_BIN } from './paths.js';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Undefined when the cached Kubernetes binaries, the test images, etcd, containerd, runc, Debian's CNI
 * plugins, kubectl and root are all present; otherwise the reason a suite should skip with, naming the
 * command that fixes it. Suites: `describe('…', { skip: k8sPrerequisites() }, …)`.
 */
export function k8sPrerequisites(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (a kubelet, containerd, network namespaces, mounts)';
  const missing: string[] = [];
  for (const [name, path] of Object.entries(K8S_BIN))
    if (!executable(path)) missing.push(`${name} (${path})`);
  for (const image of Object.values(IMAGES)) if (!readable(image.file)) missing.push(`image ${image.file}`);
  for (const path of Object.values(DEBIAN_BIN)) if (!executable(path)) missing.push(path);
  if (!executable(`${DEBIAN_CNI_DIR}/bridge`)) missing.push(`${DEBIAN_CNI_DIR}/bridge`);
  if (missing.length > 0)
    return `the Kubernetes test cluster is not built: missing ${missing.join(', ')}; run ${BUILD_COMMAND}`;
  if (!executable(KUBECTL)) return `needs kubectl (${KUBECTL}); install kubectl v1.32 or set KUBECTL`;
  return undefined;
}

/**
 * The real one-node Kubernetes cluster of the test suites (docs/testing.md): a control plane built from
 * Debian's `kubernetes` source (scripts/k8s/build.sh), Debian's etcd and containerd, one kubelet.
 *
 *   const skip = k8sPrerequisites();
 *   describe('…', { skip }, () => {
 *     let cp: ControlPlane; let node: TestNode;
 *     before(async () => {
 *       cp = await startControlPlane();
 *       node = await startNode(cp, { cni: conflist, cniPlugins: { ipkeeper: pluginFile() } });
 *     });
 *     after(async () => { await node?.stop(); await cp?.stop(); });
 *   });
 */
export { k8sPrerequisites } from './k8s/prerequisites.js';
export {
  startControlPlane,
  waitForServiceAccountToken,
  type ControlPlane,
  type ControlPlaneOptions,
} from './k8s/control-plane.js';
export { startNode, type NodeOptions, type TestNode } from './k8s/node.js';
export { NODE_IP } from './k8s/node-network.js';
export { firstHost } from './k8s/addresses.js';
export { IMAGES, K8S_CACHE, K8S_BIN, BUILD_COMMAND } from './k8s/paths.js';
export {
  podManifest,
  deploymentManifest,
  type PodObject,
  type EventObject,
  type PodSpecOptions,
} from './k8s/objects.js';
export {
  createFakeNodes,
  createNamespace,
  describePod,
  getPod,
  listPods,
  podEvents,
  runningPods,
  waitForPod,
  waitForPodEvent,
  waitForPodGone,
  waitForPodIp,
  waitForPodRunning,
  waitForRunningSplit,
  type FakeNodeOptions,
} from './k8s/waits.js';
export { waitUntil, sleep } from './k8s/processes.js';

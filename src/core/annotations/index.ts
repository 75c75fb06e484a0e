/** Annotation grammars: pure parsers from annotation text to typed requests (see each file). */
export { type AddressPair, formatPair } from './common.js';
export { expandPoolNames, globMatch, isGlobPattern, validateGlob } from './glob.js';
export { parseIpAddressAnnotation } from './ip-address.js';
export { type IpPoolAnnotation, type IpPoolList, type IpPoolName, parseIpPoolAnnotation } from './ip-pool.js';
export { DEFAULT_PROVIDER, OVN_KEYS, type OvnKeys, SPIDER_KEYS, ovnKeys } from './keys.js';
export { parseLogicalSwitchAnnotation, parseNamespaceLogicalSwitches } from './logical-switch.js';
export { parseMacAddressAnnotation } from './mac-address.js';
export {
  type NamespaceRequest,
  type ParsedAnnotations,
  type PodRequest,
  type PodRequestOptions,
  parseNamespaceRequest,
  parsePodRequest,
} from './pod-annotations.js';
export {
  type SpiderPoolChoice,
  parseSpiderDefaultPoolsAnnotation,
  parseSpiderIPPoolAnnotation,
} from './spider-ippool.js';
export {
  type AllocatedInterface,
  REQUEST_RECORD_KEY,
  requestAnnotations,
  resultAnnotations,
} from './results.js';

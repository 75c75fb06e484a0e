/** Public surface of the Kubernetes-style API layer. */
export { createApiServer, type ApiServer, type ApiServerOptions, type TlsOptions } from './server.js';
export type * from './resource-service.js';
export {
  ApiError,
  fieldCause,
  isApiError,
  type CauseType,
  type ErrorSubject,
  type StatusCause,
  type StatusReason,
} from './errors.js';
export { IPAM_ERROR_MAP, statusOf, toApiError, type Status } from './status.js';
export * from './object-meta.js';
export { ALL_KINDS, kindByName, subjectOf, type KindDefinition } from './kinds/index.js';
export { writeKubeconfig, renderKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
export { checkListenPolicy, isLoopbackHost, ListenPolicyError } from './tls-policy.js';
export { silentLogger, type Logger } from './logger.js';

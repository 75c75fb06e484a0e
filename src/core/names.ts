/**
 * Kubernetes name rules (DNS-1123), shared by every layer that checks a name: object names, namespaces
 * and pod names from CNI_ARGS, the parts of an attachment's IP object name.
 */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** An object name (and a pod name): a DNS-1123 subdomain of at most 253 characters. */
export function isDnsSubdomain(text: string): boolean {
  return text.length <= 253 && DNS1123_SUBDOMAIN.test(text);
}

/** A namespace name: a DNS-1123 label of at most 63 characters. */
export function isDnsLabel(text: string): boolean {
  return text.length <= 63 && DNS1123_LABEL.test(text);
}

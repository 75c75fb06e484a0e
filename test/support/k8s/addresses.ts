/** Address arithmetic the cluster set-up needs (IPv4 only: the cluster's own ranges are IPv4). */

/** The first host address of an IPv4 CIDR (`198.19.0.0/24` → `198.19.0.1`): the `kubernetes` service IP. */
export function firstHost(cidr: string): string {
  const parts = cidr.split('/')[0]!.split('.').map(Number);
  parts[3] = parts[3]! + 1;
  return parts.join('.');
}

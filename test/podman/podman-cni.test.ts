/**
 * Debian's podman 4.3 (CNI backend, runc) as a real runtime over a `bridge` network whose IPAM is ipkeeper,
 * against a real standalone ipkeeperd. podman passes `CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=<container name>`
 * and no namespace; `--ip`/`--mac-address` arrive as `runtimeConfig.ips`/`runtimeConfig.mac` (the network
 * declares the `ips` and `mac` capabilities) and as `IP=`/`MAC=` in CNI_ARGS. Addresses are read inside the
 * containers with busybox `ip` and through kubectl on the IP objects. test/support/podman.ts keeps podman's
 * storage, configuration and CNI directories private.
 *
 * What `bridge` 1.1.1 does with a MAC: it applies the MAC the runtime asked for (runtimeConfig.mac), and
 * ignores one the IPAM result carries; only the requested case is asserted on the IP object here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pluginFile } from '../cni-e2e/cni-e2e-support.js';
import { E2E, make, type Obj } from '../e2e/e2e-support.js';
import { netnsSkipReason, uniqueTag } from '../support/cni-netns.js';
import { Podman, podmanSkipReason } from '../support/podman.js';

// A subnet of its own: bridge with isGateway puts 10.242.0.1 on a host bridge (clear of the uplink's
// 192.0.2.0/24, fd00::/64 and 10.255.255.53).
const SUBNET = 'podnet';
const CIDR = '10.242.0.0/24';
const GATEWAY = '10.242.0.1';
const IMAGE = 'localhost/busybox:test';
const skip = podmanSkipReason() ?? netnsSkipReason();

describe('podman (CNI backend) with ipkeeper as the IPAM of its bridge network', { skip }, () => {
  const t = uniqueTag();
  const network = `ipkp-${t}`;
  let e: E2E;
  let podman: Podman;

  before(async () => {
    e = await E2E.start({ args: ['--default-subnet', 'none'] });
    await e.apply(make.subnet(SUBNET, { cidrBlock: CIDR, gateway: GATEWAY }));
    podman = Podman.create({ plugins: { ipkeeper: pluginFile() } });
    await podman.buildBusybox(IMAGE);
    const bridge = `ipkp${t}`;
    const plugin = {
      type: 'bridge',
      bridge,
      isGateway: true,
      ipMasq: false,
      capabilities: { ips: true, mac: true },
      ipam: { type: 'ipkeeper', socket: e.daemon.socket, subnet: SUBNET },
    };
    podman.addNetwork(network, [plugin], bridge);
  });
  after(async () => {
    await podman?.cleanup();
    await e?.close();
  });

  /** `podman run -d` on the network; returns the container ID. */
  async function start(...flags: string[]): Promise<string> {
    const r = await podman.run(['-d', '--network', network, ...flags, IMAGE, 'sleep', '600']);
    assert.equal(r.code, 0, `podman run ${flags.join(' ')} failed:\n${r.stderr}`);
    return r.stdout.trim();
  }

  /** eth0's IPv4 address and MAC as busybox `ip` shows them inside the container. */
  async function inside(id: string): Promise<{ address: string; mac: string }> {
    const out = await podman.ok(['exec', id, 'ip', 'addr', 'show', 'eth0']);
    const address = /inet (\d+\.\d+\.\d+\.\d+)\/24/.exec(out)?.[1];
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(out)?.[1];
    assert.ok(address && mac, `no IPv4 address or MAC on eth0:\n${out}`);
    return { address, mac };
  }

  const ipOf = (id: string): Promise<Obj | undefined> => e.get('ip', `${id}.eth0`);
  const used = async (): Promise<number> => (await e.subnetStatus(SUBNET))['v4usingIPs'] as number;

  test('CNI-2 CNI-6 IPR-10 GC-2 podman run without --name: its generated name is recorded, the address is on eth0, rm releases', async () => {
    const before = await used();
    const id = await start();
    const name = (await podman.ok(['inspect', '--format', '{{.Name}}', id])).trim();
    assert.match(name, /^[a-z]+_[a-z]+$/, 'podman generated a name like amazing_fermi (not a pod name)');
    const { address } = await inside(id);
    const ip = await ipOf(id);
    assert.ok(ip, `IP ${id}.eth0 exists`);
    assert.equal(ip.spec['v4IpAddress'], address);
    assert.equal(ip.spec['subnet'], SUBNET);
    assert.equal(ip.spec['containerID'], id);
    assert.equal(ip.spec['podName'], id, 'without a namespace the owner is the container');
    assert.equal(ip.metadata.annotations?.['ipkeeper.io/container-name'], name);
    assert.equal(await used(), before + 1);
    // The gateway (the host bridge) answers from inside: the address really works.
    const ping = await podman.podman(['exec', id, 'ping', '-c', '1', '-W', '5', GATEWAY]);
    assert.equal(ping.code, 0, `ping ${GATEWAY} from the container:\n${ping.stdout}${ping.stderr}`);

    await podman.ok(['rm', '--force', '--time', '0', id]);
    assert.equal(await ipOf(id), undefined, 'podman rm ran DEL: the IP object is gone');
    assert.equal(await used(), before);
  });

  test('CNI-2 podman run --name web1: address and IP object; stop releases, start allocates again, restart keeps one', async () => {
    const before = await used();
    const id = await start('--name', `web1-${t}`);
    const first = await inside(id);
    const ip = await ipOf(id);
    assert.equal(ip?.spec['v4IpAddress'], first.address);
    assert.equal(ip?.metadata.annotations?.['ipkeeper.io/container-name'], `web1-${t}`);

    await podman.ok(['stop', '--time', '0', id]);
    assert.equal(await ipOf(id), undefined, 'podman stop tears the network down: DEL released the address');
    assert.equal(await used(), before);

    await podman.ok(['start', id]);
    const again = await inside(id);
    assert.equal((await ipOf(id))?.spec['v4IpAddress'], again.address);
    assert.equal(await used(), before + 1);

    await podman.ok(['restart', '--time', '0', id]);
    const restarted = await inside(id);
    assert.equal((await ipOf(id))?.spec['v4IpAddress'], restarted.address);
    assert.equal(await used(), before + 1, 'one address for the container after its restart');
    const mine = (await e.list('ips.kubeovn.io')).filter((o) => o.spec['containerID'] === id);
    assert.equal(mine.length, 1);

    await podman.ok(['rm', '--force', '--time', '0', id]);
    assert.equal(await used(), before);
  });

  test('CNI-3 podman --ip and --mac-address reach ipkeeper (runtimeConfig): that address and MAC on eth0 and on the IP object', async () => {
    const before = await used();
    const id = await start('--ip', '10.242.0.77', '--mac-address', '02:42:0a:f2:00:4d');
    const seen = await inside(id);
    assert.deepEqual(seen, { address: '10.242.0.77', mac: '02:42:0a:f2:00:4d' });
    const ip = await ipOf(id);
    assert.equal(ip?.spec['v4IpAddress'], '10.242.0.77');
    assert.equal(ip?.spec['macAddress'], seen.mac, 'the IP object claims the MAC the interface has');
    assert.equal(await used(), before + 1);
    await podman.ok(['rm', '--force', '--time', '0', id]);
    assert.equal(await ipOf(id), undefined);
    assert.equal(await used(), before);
  });

  test("CNI-3 CNI-5 podman --ip outside the subnet: podman run fails with ipkeeper's error, nothing is held", async () => {
    const before = await e.snapshot();
    const r = await podman.run(['-d', '--network', network, '--ip', '10.243.0.9', IMAGE, 'sleep', '600']);
    assert.notEqual(r.code, 0, `podman run should have failed:\n${r.stdout}`);
    assert.match(r.stderr, /10\.243\.0\.9/, r.stderr);
    assert.equal(await e.snapshot(), before, 'a refused ADD changes nothing');
    await podman.podman(['rm', '--all', '--force', '--time', '0']);
  });
});

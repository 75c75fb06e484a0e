import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SOCKET_PATH } from '../cni/wire.js';
import { ConfigError, parseArgs } from './config.js';

const parse = (...argv: string[]): ReturnType<typeof parseArgs> => parseArgs(argv, {}, 'node-a');

test('ipkeeperd defaults follow SPEC §13', () => {
  const c = parse();
  assert.notEqual(c, 'help');
  if (c === 'help') return;
  assert.equal(c.dataDir, './data');
  assert.equal(c.listenHost, '127.0.0.1');
  assert.equal(c.listenPort, 6780);
  assert.equal(c.socket, './data/ipkeeper.sock');
  assert.equal(c.store, 'sqlite');
  assert.equal(c.defaultSubnet, '10.16.0.0/16');
  assert.equal(c.nodeName, 'node-a');
  assert.equal(c.historyLimit, 1_000_000);
  assert.equal(c.quarantineLimit, 65_536);
});

test("DEP-1 the default socket: DIR/ipkeeper.sock standalone, the plugin's default in Kubernetes mode", () => {
  const standalone = parse('--data-dir', '/var/lib/ipk/');
  const agent = parse('--data-dir', '/var/lib/ipk', '--kubeconfig', '/etc/kubeconfig');
  const explicit = parse('--kubeconfig', '/etc/kubeconfig', '--socket', '/tmp/x.sock');
  if (standalone === 'help' || agent === 'help' || explicit === 'help') throw new Error('unexpected help');
  assert.equal(standalone.socket, '/var/lib/ipk/ipkeeper.sock');
  assert.equal(agent.socket, DEFAULT_SOCKET_PATH);
  assert.equal(DEFAULT_SOCKET_PATH, '/run/ipkeeper/ipkeeper.sock');
  assert.equal(explicit.socket, '/tmp/x.sock');
});

test('ipkeeperd --history-limit: a count, 0 for everything', () => {
  for (const [text, n] of [
    ['5000', 5000],
    ['0', 0],
  ] as const) {
    const c = parse('--history-limit', text);
    if (c === 'help') throw new Error('unexpected help');
    assert.equal(c.historyLimit, n);
  }
});

test('ipkeeperd options: both --opt value and --opt=value, IPv6 listen, none for no default subnet', () => {
  const c = parse(
    '--data-dir',
    '/var/lib/ipk',
    '--listen=[::1]:0',
    '--default-subnet',
    'none',
    '--store',
    'etcd',
    '--etcd-endpoints',
    'http://a:2379, http://b:2379',
  );
  if (c === 'help') throw new Error('unexpected help');
  assert.equal(c.socket, '/var/lib/ipk/ipkeeper.sock');
  assert.equal(c.listenHost, '::1');
  assert.equal(c.listenPort, 0);
  assert.equal(c.defaultSubnet, null);
  assert.deepEqual(c.etcdEndpoints, ['http://a:2379', 'http://b:2379']);
});

test('ipkeeperd --help and -h', () => {
  assert.equal(parse('--help'), 'help');
  assert.equal(parse('--data-dir', 'x', '-h'), 'help');
});

test('ipkeeperd refuses bad options with a message that says what to fix', () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /unknown option --bogus/],
    [['--listen', '6780'], /HOST:PORT/],
    [['--listen', '127.0.0.1:70000'], /above 65535/],
    [['--store', 'mysql'], /sqlite or etcd/],
    [['--store', 'etcd'], /--etcd-endpoints/],
    [['--log-level', 'loud'], /debug, info, warn or error/],
    [['--data-dir'], /needs a value/],
    [['--history-limit=-1'], /--history-limit "-1" must be a whole number/],
    [
      ['--history-limit', '-1'],
      /--history-limit needs a value; write one that starts with "-" as --history-limit=VALUE/,
    ],
    [['data'], /"data" is not an option/],
    [['--history-limit', '1e6'], /whole number of entries, e.g. 1000000/],
    [['--quarantine-limit', '0'], /--quarantine-limit "0" must be a whole number of addresses, at least 1/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parse(...argv),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      argv.join(' '),
    );
  }
});

test('K8S-1 Kubernetes mode: --kubeconfig PATH, in-cluster, none, and detection inside a pod', () => {
  const c = parse('--kubeconfig', '/etc/kube.conf');
  if (c === 'help') throw new Error('unexpected help');
  assert.deepEqual(c.kubernetes, { kind: 'kubeconfig', path: '/etc/kube.conf' });
  assert.equal(c.socket, '/run/ipkeeper/ipkeeper.sock', 'the plugin default socket in Kubernetes mode');
  assert.deepEqual(c.gcLease, { namespace: 'kube-system', name: 'ipkeeper-gc-node-a' });
  assert.equal(c.gcGraceSeconds, 60);
  assert.equal(c.gcIntervalSeconds, 300);
  const inPod = { hasServiceAccount: true, namespace: 'ipkeeper' };
  const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', NODE_NAME: 'worker-1' };
  const auto = parseArgs([], env, 'host', inPod);
  if (auto === 'help') throw new Error('unexpected help');
  assert.deepEqual(auto.kubernetes, { kind: 'in-cluster' });
  assert.equal(auto.nodeName, 'worker-1', 'NODE_NAME (the downward API) before the hostname');
  assert.deepEqual(auto.gcLease, { namespace: 'ipkeeper', name: 'ipkeeper-gc-worker-1' });
  const off = parseArgs(['--kubeconfig', 'none'], env, 'host', inPod);
  if (off === 'help') throw new Error('unexpected help');
  assert.equal(off.kubernetes, undefined);
  const outside = parseArgs([], env, 'host', { hasServiceAccount: false });
  if (outside === 'help') throw new Error('unexpected help');
  assert.equal(outside.kubernetes, undefined, 'no token: standalone');
  const shared = parseArgs(
    ['--kubeconfig', 'k', '--store', 'etcd', '--etcd-endpoints', 'http://a:2379', '--gc-lease', 'ops/gc'],
    {},
    'h',
  );
  if (shared === 'help') throw new Error('unexpected help');
  assert.deepEqual(shared.gcLease, { namespace: 'ops', name: 'gc' });
});

test('K8S-1 Kubernetes mode options refused with what to fix', () => {
  const cases: [string[], RegExp][] = [
    [['--kubeconfig', 'in-cluster'], /needs KUBERNETES_SERVICE_HOST and a service account token/],
    [['--gc-grace', '0'], /--gc-grace "0" must be a whole number of seconds/],
    [['--gc-lease', 'nope'], /--gc-lease "nope" must be NAMESPACE\/NAME/],
  ];
  for (const [argv, message] of cases)
    assert.throws(
      () => parse(...argv),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      argv.join(' '),
    );
});

test('ipkeeperd --store etcd: prefix (default /ipkeeper/) and client TLS files', () => {
  const c = parse('--store', 'etcd', '--etcd-endpoints', 'https://a:2379');
  if (c === 'help') throw new Error('unexpected help');
  assert.equal(c.etcdPrefix, '/ipkeeper/');
  assert.equal(c.historyLimit, 100_000, 'a smaller default history on etcd');
  assert.deepEqual(c.etcdTls, { caFile: undefined, certFile: undefined, keyFile: undefined });
  const t = parse(
    '--store=etcd',
    '--etcd-endpoints=https://a:2379',
    '--etcd-prefix=/dc1/ipam/',
    '--etcd-cacert=/ca.pem',
    '--etcd-cert=/c.pem',
    '--etcd-key=/k.pem',
  );
  if (t === 'help') throw new Error('unexpected help');
  assert.equal(t.etcdPrefix, '/dc1/ipam/');
  assert.deepEqual(t.etcdTls, { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' });
});

test('ipkeeperd refuses etcd options that cannot work, naming the option', () => {
  const cases: [string[], RegExp][] = [
    [['--store', 'etcd'], /--store etcd needs --etcd-endpoints/],
    [['--etcd-endpoints', 'http://a:2379'], /--etcd-endpoints needs --store etcd/],
    [['--etcd-prefix', '/x/'], /--etcd-prefix needs --store etcd/],
    [['--store', 'etcd', '--etcd-endpoints', 'http://a:2379', '--etcd-prefix', 'x/'], /must start with "\/"/],
    [['--store', 'etcd', '--etcd-endpoints', 'http://a:2379', '--etcd-prefix', '/x'], /must end with "\/"/],
  ];
  for (const [argv, message] of cases)
    assert.throws(
      () => parse(...argv),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      argv.join(' '),
    );
});

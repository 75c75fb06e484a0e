import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { importIntoEmptyPrefix } from '../store/etcd/import.js';
import { DEFAULT_ETCD_PREFIX, prefixProblem } from '../store/etcd/keys.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { isStoreError } from '../store/store.js';
import { lockDataDir } from './data-dir.js';

export const MIGRATE_HELP = `ipkeeperd migrate — copy a SQLite store into etcd

Usage: ipkeeperd migrate --from sqlite:DIR --to etcd:URL[,URL…] [options]

Copies everything a daemon kept in DIR/ipkeeper.db — objects, held addresses, leases and MACs, the
quarantine and the allocation history — into an EMPTY etcd key prefix, reads every key back and compares
it with the source, and prints the counts. Stop the daemon on DIR first (its data-directory lock is taken
for the copy). Then start the daemons with --store etcd --etcd-endpoints URL,… (same prefix).

Objects get new resourceVersions (etcd's revisions); clients re-list. A copy that fails leaves the prefix
marked "migration in progress": no daemon starts on it; delete it (etcdctl del --prefix PREFIX) and run
the migration again.

Options:
  --from sqlite:DIR       the data directory of the SQLite store
  --to etcd:URLS          comma-separated etcd client URLs
  --etcd-prefix PREFIX    key prefix to copy into (default ${DEFAULT_ETCD_PREFIX}); must be empty
  --etcd-cacert FILE      CA certificate (PEM) of the etcd members (https:// URLs)
  --etcd-cert FILE        client certificate (PEM)
  --etcd-key FILE         its private key (PEM)
  -h, --help              this text

Exit status: 0 copied and verified; 2 bad options; 1 the copy was refused or failed (the message says why).
`;

class UsageError extends Error {}

interface MigrateArgs {
  dataDir: string;
  endpoints: string[];
  prefix: string;
  tls: { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined };
}

function readArgs(argv: readonly string[]): MigrateArgs | 'help' {
  if (argv.includes('-h') || argv.includes('--help')) return 'help';
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        'etcd-prefix': { type: 'string' },
        'etcd-cacert': { type: 'string' },
        'etcd-cert': { type: 'string' },
        'etcd-key': { type: 'string' },
      },
    }).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}; see ipkeeperd migrate --help`);
  }
  const from = values.from;
  if (!from) throw new UsageError('--from sqlite:DIR is required (the data directory of the SQLite store)');
  if (!from.startsWith('sqlite:') || from.length === 'sqlite:'.length)
    throw new UsageError(`--from "${from}" must be sqlite:DIR, e.g. sqlite:./data`);
  const to = values.to;
  if (!to) throw new UsageError('--to etcd:URLS is required, e.g. etcd:http://127.0.0.1:2379');
  if (!to.startsWith('etcd:') || to.length === 'etcd:'.length)
    throw new UsageError(`--to "${to}" must be etcd:URL[,URL…], e.g. etcd:http://127.0.0.1:2379`);
  const prefix = values['etcd-prefix'] ?? DEFAULT_ETCD_PREFIX;
  const bad = prefixProblem(prefix);
  if (bad) throw new UsageError(`--etcd-prefix "${prefix}" is not usable: ${bad}`);
  return {
    dataDir: resolve(from.slice('sqlite:'.length)),
    endpoints: to
      .slice('etcd:'.length)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    prefix,
    tls: { caFile: values['etcd-cacert'], certFile: values['etcd-cert'], keyFile: values['etcd-key'] },
  };
}

/** `ipkeeperd migrate …`: returns the exit status. */
export async function runMigrate(argv: readonly string[]): Promise<number> {
  let args: MigrateArgs | 'help';
  try {
    args = readArgs(argv);
  } catch (e) {
    process.stderr.write(`ipkeeperd migrate: ${(e as Error).message}\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(MIGRATE_HELP);
    return 0;
  }
  const file = join(args.dataDir, 'ipkeeper.db');
  if (!existsSync(file)) {
    process.stderr.write(`ipkeeperd migrate: there is no SQLite store at ${file}; check --from\n`);
    return 1;
  }
  let unlock: (() => void) | undefined;
  let source: SqliteStore | undefined;
  try {
    unlock = lockDataDir(args.dataDir, hostname());
    source = SqliteStore.open(file);
    const snapshot = await source.load();
    const counts = await importIntoEmptyPrefix(
      { endpoints: args.endpoints, tls: args.tls },
      args.prefix,
      snapshot,
      source.allHistory(),
    );
    process.stdout.write(
      `migrated ${file} into ${args.prefix} on ${args.endpoints.join(',')}: ` +
        `objects=${counts.objects} addresses=${counts.addresses} leases=${counts.leases} macs=${counts.macs} ` +
        `quarantine=${counts.quarantine} history=${counts.history} (every key read back and verified)\n`,
    );
    return 0;
  } catch (e) {
    const message = isStoreError(e) || e instanceof Error ? e.message : String(e);
    process.stderr.write(`ipkeeperd migrate: ${message}\n`);
    return 1;
  } finally {
    await source?.close();
    unlock?.();
  }
}

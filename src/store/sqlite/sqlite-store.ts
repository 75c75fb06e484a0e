import Database from 'better-sqlite3';
import { type LeaseRecord } from '../../core/index.js';
import {
  type CommitResult,
  type HistoryEntry,
  type HistoryQuery,
  type Store,
  StoreError,
  type StoreOp,
  type StoreOptions,
  type StoreSnapshot,
} from '../store.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

type Statement = Database.Statement;

interface Pending {
  batch: readonly StoreOp[];
  resolve: (r: CommitResult) => void;
  reject: (e: unknown) => void;
}

class BatchFailed extends Error {
  constructor(readonly result: Extract<CommitResult, { ok: false }>) {
    super('batch failed');
  }
}

export interface SqliteStoreOptions extends StoreOptions {
  /** Clock for history entries (tests). */
  now?: () => Date;
}

/**
 * The embedded default store: one SQLite file in WAL mode with `synchronous=FULL`, so a commit returns only
 * after the write-ahead log is fsynced (DUR-1). Uniqueness is the database's: a primary key per
 * (space, address) and a unique MAC column (DUR-2).
 *
 * Group commit: batches that arrive while a transaction is being prepared are applied in the same
 * transaction, each inside its own savepoint (one batch's conflict rolls back only that batch), and share one
 * fsync. Callers still get one result per batch, and only after the shared COMMIT has returned.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly historyLimit: number;
  /** Set by apply() when the transaction being built wrote a history row: only then is there anything to trim. */
  private historyWritten = false;
  private pending: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private revision: number;
  private readonly st: Record<string, Statement>;
  /** Counters for tests and /metrics: transactions committed and batches they carried. */
  private readonly counters = { transactions: 0, batches: 0 };

  private constructor(db: Database.Database, options: SqliteStoreOptions) {
    this.db = db;
    this.now = options.now ?? (() => new Date());
    this.historyLimit = options.historyLimit ?? 0;
    this.revision = Number(
      (db.prepare(`SELECT value FROM meta WHERE key = 'revision'`).get() as { value: string }).value,
    );
    this.st = {
      getObject: db.prepare('SELECT revision FROM objects WHERE kind = ? AND name = ?'),
      putObject: db.prepare(
        'INSERT INTO objects (kind, name, revision, body) VALUES (?, ?, ?, ?) ON CONFLICT (kind, name) DO UPDATE SET revision = excluded.revision, body = excluded.body',
      ),
      deleteObject: db.prepare('DELETE FROM objects WHERE kind = ? AND name = ?'),
      claimAddress: db.prepare(
        'INSERT INTO addresses (space, address, key, pool) VALUES (?, ?, ?, ?) ON CONFLICT (space, address) DO UPDATE SET pool = excluded.pool WHERE addresses.key = excluded.key',
      ),
      holder: db.prepare('SELECT key FROM addresses WHERE space = ? AND address = ?'),
      freeAddress: db.prepare('DELETE FROM addresses WHERE space = ? AND address = ? AND key = ?'),
      macHolder: db.prepare('SELECT key FROM leases WHERE mac = ?'),
      putLease: db.prepare(
        'INSERT INTO leases (key, subnet, mac) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET subnet = excluded.subnet, mac = excluded.mac',
      ),
      deleteLease: db.prepare('DELETE FROM leases WHERE key = ?'),
      quarantine: db.prepare(
        'INSERT INTO quarantine (space, address, seq) VALUES (?, ?, ?) ON CONFLICT (space, address) DO UPDATE SET seq = excluded.seq',
      ),
      unquarantine: db.prepare('DELETE FROM quarantine WHERE space = ? AND address = ?'),
      history: db.prepare(
        'INSERT INTO history (at, event, key, space, address, mac, reason) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      // Rows are numbered in commit order and only ever dropped from the oldest end: one range delete on the key.
      trimHistory: db.prepare('DELETE FROM history WHERE id <= (SELECT max(id) FROM history) - ?'),
      setRevision: db.prepare(`UPDATE meta SET value = ? WHERE key = 'revision'`),
      // Transaction control as prepared statements: exec() would parse them again for every batch.
      begin: db.prepare('BEGIN IMMEDIATE'),
      savepoint: db.prepare('SAVEPOINT batch'),
      release: db.prepare('RELEASE batch'),
      rollbackTo: db.prepare('ROLLBACK TO batch'),
      commit: db.prepare('COMMIT'),
    };
  }

  /** Opens (creating and migrating as needed) the store file. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    let db: Database.Database;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
    } catch (e) {
      // A file that is not SQLite (or is damaged) is refused as CORRUPT, not reported as an I/O failure.
      const code = (e as { code?: unknown }).code;
      const corrupt = code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
      throw new StoreError(
        corrupt ? 'CORRUPT' : 'IO',
        `cannot open SQLite store ${path}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new StoreError(
        'CORRUPT',
        `${path} has schema version ${version}, newer than this ipkeeper (${SCHEMA_VERSION}); upgrade ipkeeper`,
      );
    }
    for (let v = version; v < SCHEMA_VERSION; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]!);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
    return new SqliteStore(db, options);
  }

  private check(): void {
    if (this.closed) throw new StoreError('CLOSED', 'the store is closed');
  }

  async load(): Promise<StoreSnapshot> {
    this.check();
    return this.db.transaction(() => {
      const objects = (
        this.db.prepare('SELECT kind, name, revision, body FROM objects').all() as {
          kind: string;
          name: string;
          revision: number;
          body: string;
        }[]
      ).map((r) => ({
        kind: r.kind,
        name: r.name,
        revision: r.revision,
        body: JSON.parse(r.body) as Record<string, unknown>,
      }));
      const leases = new Map<string, LeaseRecord>();
      for (const r of this.db.prepare('SELECT key, subnet, mac FROM leases').iterate() as Iterable<{
        key: string;
        subnet: string;
        mac: string | null;
      }>) {
        leases.set(r.key, { key: r.key, subnet: r.subnet, addresses: [], ...(r.mac ? { mac: r.mac } : {}) });
      }
      for (const r of this.db
        .prepare('SELECT space, address, key, pool FROM addresses')
        .iterate() as Iterable<{ space: string; address: string; key: string; pool: string }>) {
        let lease = leases.get(r.key);
        if (!lease) leases.set(r.key, (lease = { key: r.key, subnet: '', addresses: [] }));
        lease.addresses.push({ space: r.space, address: r.address, ...(r.pool ? { pool: r.pool } : {}) });
      }
      const quarantine = this.db.prepare('SELECT space, address, seq FROM quarantine ORDER BY seq').all() as {
        space: string;
        address: string;
        seq: number;
      }[];
      return { revision: this.revision, objects, leases: [...leases.values()], quarantine };
    })();
  }

  commit(batch: readonly StoreOp[]): Promise<CommitResult> {
    try {
      this.check();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ batch, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Let every request already read from the sockets join this transaction.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const items = this.pending;
    this.pending = [];
    if (items.length === 0) return;
    const results: (CommitResult | StoreError)[] = [];
    let revision = this.revision;
    const at = this.now().toISOString();
    this.historyWritten = false;
    try {
      this.st.begin!.run();
      for (const item of items) {
        this.st.savepoint!.run();
        try {
          this.apply(item.batch, revision + 1, at);
          this.st.release!.run();
          revision++;
          results.push({ ok: true, revision });
        } catch (e) {
          // A driver error fails the whole group; anything else (a taken address, a body that cannot be
          // serialized) belongs to this batch alone and must not fail the others sharing the transaction.
          if (e instanceof Database.SqliteError) throw e;
          this.st.rollbackTo!.run();
          this.st.release!.run();
          results.push(
            e instanceof BatchFailed
              ? e.result
              : new StoreError('IO', `cannot store the batch: ${(e as Error).message}`, { cause: e }),
          );
        }
      }
      if (revision !== this.revision) this.st.setRevision!.run(String(revision));
      if (this.historyLimit > 0 && this.historyWritten) this.st.trimHistory!.run(this.historyLimit);
      this.st.commit!.run();
      this.revision = revision;
      this.counters.transactions++;
      this.counters.batches += items.length;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      const err = new StoreError('IO', `SQLite commit failed: ${(e as Error).message}`, { cause: e });
      for (const item of items) item.reject(err);
      return;
    }
    items.forEach((item, i) => {
      const r = results[i]!;
      if (r instanceof StoreError) item.reject(r);
      else item.resolve(r);
    });
  }

  private apply(batch: readonly StoreOp[], revision: number, at: string): void {
    const st = this.st;
    batch.forEach((op, index) => {
      const fail = (reason: 'taken' | 'conflict', holder?: string): never => {
        throw new BatchFailed({ ok: false, index, reason, ...(holder ? { holder } : {}) });
      };
      switch (op.op) {
        case 'putObject':
        case 'deleteObject': {
          if (op.expectRevision !== undefined) {
            const cur = st.getObject!.get(op.kind, op.name) as { revision: number } | undefined;
            if ((cur?.revision ?? 0) !== op.expectRevision) fail('conflict');
          }
          if (op.op === 'putObject') st.putObject!.run(op.kind, op.name, revision, JSON.stringify(op.body));
          else st.deleteObject!.run(op.kind, op.name);
          break;
        }
        case 'claimAddress': {
          const r = st.claimAddress!.run(op.space, op.address, op.key, op.pool);
          if (r.changes === 0)
            fail('taken', (st.holder!.get(op.space, op.address) as { key: string } | undefined)?.key);
          break;
        }
        case 'freeAddress':
          st.freeAddress!.run(op.space, op.address, op.key);
          break;
        case 'putLease': {
          if (op.mac) {
            const holder = (st.macHolder!.get(op.mac) as { key: string } | undefined)?.key;
            if (holder && holder !== op.key) fail('taken', holder);
          }
          // An empty MAC means none: stored as NULL, which the unique index does not compare.
          st.putLease!.run(op.key, op.subnet, op.mac || null);
          break;
        }
        case 'deleteLease':
          st.deleteLease!.run(op.key);
          break;
        case 'quarantine':
          st.quarantine!.run(op.space, op.address, op.seq);
          break;
        case 'unquarantine':
          st.unquarantine!.run(op.space, op.address);
          break;
        case 'history': {
          const h = op.entry;
          st.history!.run(at, h.event, h.key, h.space, h.address, h.mac ?? null, h.reason);
          this.historyWritten = true;
          break;
        }
      }
    });
  }

  /** Every history entry, oldest first, read lazily (for `ipkeeperd migrate`). */
  *allHistory(): Generator<HistoryEntry> {
    this.check();
    const rows = this.db
      .prepare('SELECT at, event, key, space, address, mac, reason FROM history ORDER BY id')
      .iterate() as Iterable<Omit<HistoryEntry, 'mac'> & { mac: string | null }>;
    for (const r of rows) yield { ...r, mac: r.mac ?? undefined };
  }

  async history(query: HistoryQuery): Promise<HistoryEntry[]> {
    this.check();
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.address) {
      where.push('address = ?');
      args.push(query.address);
    }
    if (query.key) {
      where.push('key = ?');
      args.push(query.key);
    }
    args.push(Math.min(Math.max(query.limit ?? 100, 1), 10_000));
    const rows = this.db
      .prepare(
        `SELECT at, event, key, space, address, mac, reason FROM history ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      )
      .all(...args) as (Omit<HistoryEntry, 'mac'> & { mac: string | null })[];
    return rows.map((r) => ({ ...r, mac: r.mac ?? undefined }));
  }

  /** Transactions committed and batches they carried since open; far fewer transactions = group commit works. */
  stats(): { transactions: number; batches: number } {
    return { ...this.counters };
  }

  /** Size of the database file and its WAL, for the benchmark. */
  fileBytes(): number {
    const row = this.db
      .prepare('SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()')
      .get() as { bytes: number };
    return row.bytes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued batches finish before closing.
    if (this.pending.length > 0) this.flush();
    this.closed = true;
    this.db.close();
  }
}

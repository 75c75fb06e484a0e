import { X509Certificate, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { generateSelfSignedCertificate } from '../api/self-signed.js';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';

/** Creates the data directory owner-only (SEC-1). */
export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** The API bearer token: generated at first start, kept in DIR/token (0600). */
export function loadOrCreateToken(dataDir: string): string {
  const path = join(dataDir, 'token');
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token.length >= 32) return token;
  }
  const token = randomBytes(32).toString('hex');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

/**
 * Who holds a data directory, as it wrote down when it took the lock. The holder writes it right after taking
 * the lock, so a daemon started at the same moment waits for it a little (up to a second) before saying.
 */
function holderOf(dataDir: string): string {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const [pid, host] = readFileSync(join(dataDir, 'ipkeeperd.pid'), 'utf8').trim().split(/\s+/);
      if (pid) return `pid ${pid}${host ? ` on host ${host}` : ''}`;
    } catch {
      // Not written yet, or removed as its holder stopped.
    }
    Atomics.wait(pause, 0, 0, 50);
  }
  return 'pid unknown';
}

/**
 * One daemon per data directory (DUR-6), decided atomically by the kernel: an exclusive SQLite lock (an
 * fcntl lock) on DIR/ipkeeperd.lock, taken by a write transaction in `locking_mode=EXCLUSIVE` and held for
 * the life of the process. The kernel releases it when its holder dies, even by `kill -9`; it works across
 * containers that share the directory (every daemon may be pid 1 there), since it is a lock on the file, not
 * a check of a pid. A second daemon fails at once, naming the holder's pid and host from DIR/ipkeeperd.pid
 * (written after the lock is taken, for the message only).
 */
export function lockDataDir(dataDir: string, host: string): () => void {
  const path = join(dataDir, 'ipkeeperd.lock');
  let db: Database.Database;
  try {
    db = new Database(path);
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec(
      'CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL)',
    );
    db.exec('BEGIN EXCLUSIVE');
    db.prepare('DELETE FROM holder').run();
    db.prepare('INSERT INTO holder (pid, host, since) VALUES (?, ?, ?)').run(
      process.pid,
      host,
      new Date().toISOString(),
    );
    db.exec('COMMIT');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED')
      throw new Error(
        `another ipkeeperd (${holderOf(dataDir)}) is using ${dataDir}; stop it or choose another --data-dir`,
      );
    throw new Error(`cannot lock ${path}: ${(e as Error).message}`);
  }
  writeFileSync(join(dataDir, 'ipkeeperd.pid'), `${process.pid} ${host}\n`, { mode: 0o600 });
  return () => {
    rmSync(join(dataDir, 'ipkeeperd.pid'), { force: true });
    db.close();
  };
}

/**
 * Prepares the CNI socket path: an owner-only directory and no stale socket file. A socket something still
 * answers on is another daemon's (two daemons on one node would hand out addresses from two stores): refused,
 * and left as it is.
 */
export async function prepareSocket(path: string): Promise<void> {
  const dir = dirname(path);
  // A directory we create is owner-only; an existing one (e.g. /run) is left as it is.
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (await answers(path))
    throw new Error(
      `another process is serving CNI on ${path}; stop it, or give this daemon another --socket (and its plugin config the same \`socket\`)`,
    );
  rmSync(path, { force: true });
}

/** Whether a process accepts connections on the unix socket `path` (a stale file or none: false). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function parses(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/**
 * The API's TLS certificate: the operator's (--tls-cert/--tls-key), or a self-signed one made at first start
 * and kept in DIR/tls.crt and DIR/tls.key (0600). kubectl sends a bearer token only over HTTPS, so the API
 * is HTTPS even on loopback; the kubeconfig trusts this certificate.
 */
export async function loadOrCreateTls(
  dataDir: string,
  host: string,
  given?: { certFile: string; keyFile: string },
): Promise<{ cert: string; key: string; ca: string | undefined }> {
  if (given)
    return {
      cert: readFileSync(given.certFile, 'utf8'),
      key: readFileSync(given.keyFile, 'utf8'),
      ca: undefined,
    };
  const certPath = join(dataDir, 'tls.crt');
  const keyPath = join(dataDir, 'tls.key');
  const hostsPath = join(dataDir, 'tls.hosts');
  const hosts = [...new Set(['localhost', '127.0.0.1', '::1', host])].filter(
    (h) => h !== '0.0.0.0' && h !== '::',
  );
  const wanted = hosts.join(',');
  if (
    existsSync(certPath) &&
    existsSync(keyPath) &&
    existsSync(hostsPath) &&
    readFileSync(hostsPath, 'utf8').trim() === wanted
  ) {
    const cert = readFileSync(certPath, 'utf8');
    // A kept certificate OpenSSL cannot read (one an older ipkeeperd encoded badly) is made again.
    if (parses(cert)) return { cert, key: readFileSync(keyPath, 'utf8'), ca: cert };
  }
  const made = await generateSelfSignedCertificate({ hosts, commonName: 'ipkeeperd' });
  writeFileSync(keyPath, made.key, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  writeFileSync(certPath, made.cert, { mode: 0o600 });
  writeFileSync(hostsPath, `${wanted}\n`, { mode: 0o600 });
  return { cert: made.cert, key: made.key, ca: made.cert };
}

/**
 * The SQLite schema, versioned with `PRAGMA user_version`. Each migration moves the file one version up
 * inside one transaction; a file newer than this code is refused rather than misread.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: objects, leases with unique MACs, addresses with a unique key per (space, address), quarantine, history.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE objects (
    kind TEXT NOT NULL, name TEXT NOT NULL, revision INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (kind, name)
  ) WITHOUT ROWID;
  CREATE TABLE leases (key TEXT PRIMARY KEY, subnet TEXT NOT NULL, mac TEXT UNIQUE) WITHOUT ROWID;
  CREATE TABLE addresses (
    space TEXT NOT NULL, address TEXT NOT NULL, key TEXT NOT NULL, pool TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (space, address)
  ) WITHOUT ROWID;
  CREATE INDEX addresses_by_key ON addresses (key);
  CREATE TABLE quarantine (
    space TEXT NOT NULL, address TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (space, address)
  ) WITHOUT ROWID;
  CREATE TABLE history (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, event TEXT NOT NULL, key TEXT NOT NULL,
    space TEXT NOT NULL, address TEXT NOT NULL, mac TEXT, reason TEXT NOT NULL
  );
  CREATE INDEX history_by_address ON history (address);
  CREATE INDEX history_by_key ON history (key);
  INSERT INTO meta (key, value) VALUES ('revision', '0');
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

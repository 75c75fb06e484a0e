/** A small JSON-lines logger to stderr: the edges log once, with context (STYLE lesson 6). */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

export function createLogger(
  level: keyof typeof LEVELS,
  base: Record<string, unknown> = {},
  write: (line: string) => void = (l) => void process.stderr.write(l),
): Logger {
  const min = LEVELS[level];
  const log =
    (lvl: keyof typeof LEVELS) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (LEVELS[lvl] < min) return;
      write(
        `${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...fields }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
      );
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}

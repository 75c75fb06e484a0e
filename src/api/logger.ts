/** The logging interface the API takes (the daemon passes its logger; tests pass a silent one). */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry `fields` (e.g. a request id). Optional. */
  child?(fields: Record<string, unknown>): Logger;
}

/** Discards everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

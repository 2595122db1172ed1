/**
 * Logger: one line per event on stdout, with the context fields (check_id, project, ref, sha, task_id, …) of the
 * child logger that wrote it — as a JSON object (`json`, for collectors) or as a readable line (`pretty`, the
 * default on a terminal). Every line passes the redactor, which replaces known secret values (tokens from the
 * settings) wherever they appear, so a careless interpolation cannot leak one. Error lines can also be handed to
 * an error reporter (Sentry), already redacted.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export class Redactor {
  private secrets: string[] = [];

  /**
   * Registers values that must never be printed. Values under 8 characters are ignored: they would mangle ordinary
   * words in every line (a database password `secbot` would eat the service name), and no token is that short.
   */
  add(...values: (string | undefined | null)[]): void {
    for (const v of values) {
      if (v && v.length >= 8 && !this.secrets.includes(v)) this.secrets.push(v);
    }
    this.secrets.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) {
      if (out.includes(s)) out = out.split(s).join('[REDACTED]');
    }
    return out;
  }
}

export type LogSink = (line: string) => void;
export type LogFormat = 'pretty' | 'json';
/** A log record as JSON would show it, after redaction. */
export type LogRecord = { ts: string; level: LogLevel; msg: string } & LogFields;

export function createLogger(opts: {
  level?: LogLevel;
  /** Default: pretty when writing to a terminal, JSON otherwise (and always JSON into a custom sink). */
  format?: LogFormat;
  redactor?: Redactor;
  sink?: LogSink;
  base?: LogFields;
  /** Receives every error-level record (already redacted), e.g. to report it to Sentry. */
  onError?: (record: LogRecord) => void;
}): Logger {
  const min = LEVELS[opts.level ?? 'info'];
  const redactor = opts.redactor ?? new Redactor();
  const tty = !opts.sink && process.stdout.isTTY === true;
  const format = opts.format ?? (tty ? 'pretty' : 'json');
  const color = tty && format === 'pretty' && !process.env.NO_COLOR;
  const sink: LogSink = opts.sink ?? ((line) => process.stdout.write(line + '\n'));
  const make = (base: LogFields): Logger => {
    const write = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (LEVELS[level] < min) return;
      const record = { ts: new Date().toISOString(), level, msg, ...base, ...fields };
      const json = redactor.redact(JSON.stringify(record, errorReplacer));
      sink(format === 'json' ? json : redactor.redact(prettyLine(record, color)));
      if (level === 'error' && opts.onError) opts.onError(JSON.parse(json) as LogRecord);
    };
    return {
      debug: (m, f) => write('debug', m, f),
      info: (m, f) => write('info', m, f),
      warn: (m, f) => write('warn', m, f),
      error: (m, f) => write('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(opts.base ?? {});
}

const LEVEL_LABEL: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' };
const LEVEL_COLOR: Record<LogLevel, string> = { debug: '\x1b[2m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' };
/** Shown first, in this order, when present: what an operator scans a line for. */
const LEADING = ['project', 'ref', 'sha', 'task', 'attempt', 'verdict', 'outcome', 'http_status', 'error'];
/** Constant for the process (or repeated by `ref`/`sha`): left out of pretty lines. */
const OMITTED = new Set(['ts', 'level', 'msg', 'service', 'mode']);

/** `2026-03-02 10:15:04.120Z INFO  task started project=acme/app ref=main sha=3f786850 task=scan:gitleaks …` */
export function prettyLine(record: LogFields & { ts: string; level: LogLevel; msg: string }, color = false): string {
  const keys = Object.keys(record).filter((k) => !OMITTED.has(k) && record[k] !== undefined);
  const ordered = [...LEADING.filter((k) => keys.includes(k)), ...keys.filter((k) => !LEADING.includes(k))];
  const label = color ? `${LEVEL_COLOR[record.level]}${LEVEL_LABEL[record.level]}\x1b[0m` : LEVEL_LABEL[record.level];
  const parts = ordered.map((k) => `${k}=${prettyValue(record[k])}`);
  return [record.ts.replace('T', ' '), label, oneLine(record.msg), ...parts].join(' ');
}

function prettyValue(v: unknown): string {
  if (v instanceof Error) return prettyValue(`${v.name}: ${v.message}`);
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v, errorReplacer) ?? String(v);
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ⏎ ');

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A logger that drops everything; for tests and tools that print their own output. */
export const silentLogger: Logger = createLogger({ sink: () => {} });

/**
 * JSON-lines logger. One object per line on stdout, with the context fields (check_id, task_id, handler, …) of
 * the child logger that wrote it. Every string that leaves through it passes the redactor, which replaces
 * known secret values (tokens from the settings) wherever they appear, so a careless interpolation cannot leak one.
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

export function createLogger(opts: {
  level?: LogLevel;
  redactor?: Redactor;
  sink?: LogSink;
  base?: LogFields;
}): Logger {
  const min = LEVELS[opts.level ?? 'info'];
  const redactor = opts.redactor ?? new Redactor();
  const sink: LogSink = opts.sink ?? ((line) => process.stdout.write(line + '\n'));
  const make = (base: LogFields): Logger => {
    const write = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (LEVELS[level] < min) return;
      const record = { ts: new Date().toISOString(), level, msg, ...base, ...fields };
      sink(redactor.redact(JSON.stringify(record, errorReplacer)));
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

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A logger that drops everything; for tests and tools that print their own output. */
export const silentLogger: Logger = createLogger({ sink: () => {} });

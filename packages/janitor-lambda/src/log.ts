/**
 * Structured logs: one JSON object per line, the shape CloudWatch Logs Insights queries and the
 * Powertools logger produce. Compatible with core's Logger (fields are optional), so engine
 * calls can log through it too.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface JanitorLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const silentJanitorLogger: JanitorLogger = { debug() {}, info() {}, warn() {}, error() {} };

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  /** Receives each line without its newline (default: process.stdout). */
  write?: (line: string) => void;
  level?: LogLevel;
  /** Added to every line (service name, bucket, request id, ...). */
  fields?: LogFields;
  clock?: () => Date;
}

export function createJsonLogger(options: JsonLoggerOptions = {}): JanitorLogger {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const threshold = RANK[options.level ?? 'info'];
  const clock = options.clock ?? (() => new Date());
  const base = options.fields ?? {};
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    write(JSON.stringify({ level, time: clock().toISOString(), message, ...base, ...serializable(fields) }));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** Errors do not serialize with JSON.stringify: keep their name, message and cause chain. */
function serializable(fields: LogFields | undefined): LogFields | undefined {
  if (!fields) return undefined;
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields))
    out[key] = value instanceof Error ? describeError(value) : value;
  return out;
}

export function describeError(err: unknown): Record<string, unknown> | string {
  if (!(err instanceof Error)) return String(err);
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if (err.cause !== undefined) out.cause = describeError(err.cause);
  return out;
}

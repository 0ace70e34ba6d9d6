import { ArchivePackError } from '../tar/errors.js';

/** An error crossing from the worker thread, rebuilt as the class the same work throws in-thread. */
export type SerializedError =
  | { kind: 'pack'; message: string; path: string; cause: SerializedCause }
  | { kind: 'other'; name: string; message: string };

type SerializedCause = { message: string; code?: string } | undefined;

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ArchivePackError) {
    return {
      kind: 'pack',
      message: stripSuffix(err.message, `: ${err.path}`),
      path: err.path,
      cause: causeOf(err),
    };
  }
  const e = err as Error | undefined;
  return { kind: 'other', name: e?.name ?? 'Error', message: e?.message ?? String(err) };
}

export function deserializeError(error: SerializedError): Error {
  switch (error.kind) {
    case 'pack':
      return new ArchivePackError(error.message, error.path, withCause(error.cause));
    default: {
      const out = new Error(error.message);
      out.name = error.name;
      return out;
    }
  }
}

function stripSuffix(message: string, suffix: string): string {
  return suffix && message.endsWith(suffix) ? message.slice(0, -suffix.length) : message;
}

function causeOf(err: Error): SerializedCause {
  const cause = err.cause as (Error & { code?: string }) | undefined;
  if (!cause) return undefined;
  return { message: cause.message ?? String(cause), ...(cause.code ? { code: cause.code } : {}) };
}

function withCause(cause: SerializedCause): { cause?: unknown } | undefined {
  if (!cause) return undefined;
  return { cause: Object.assign(new Error(cause.message), cause.code ? { code: cause.code } : {}) };
}

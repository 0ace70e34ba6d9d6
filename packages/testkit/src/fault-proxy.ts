// A loopback HTTP proxy that sits between an S3 client and S3 and breaks chosen requests on
// purpose: error statuses with S3 XML bodies, connection resets, truncated bodies, stalls and
// flipped bytes. Tests point the client's endpoint at `proxy.url`; requests are forwarded
// unchanged (Host header included, so SigV4 signatures still verify) to `target`.
//
// Bounded by construction: it stops itself after `maxLifetimeMs`, caps stalls at `maxStallMs`,
// caps connections, keeps a bounded request log, and `close()` ends every socket and timer.
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What to do to a matching request.
 * - `status`: answer with this HTTP status and an S3 XML error body (`code`, default from the
 *   status: 500 InternalError, 503 SlowDown, 403 AccessDenied, ...). By default the request never
 *   reaches S3; with `after: true` S3 processes it first and its answer is replaced (a write
 *   that happened although the client saw an error).
 * - `reset`: the TCP connection is reset. `at: 'request'`: before S3 sees the request;
 *   `'headers'`: after S3 processed it, before any byte of the answer (a lost response);
 *   `'body'` (default): after the headers and `afterBytes` bytes of the body (default half).
 * - `truncate`: headers announce S3's Content-Length, but only `keepBytes` (default half) of
 *   the body is sent before the connection is closed cleanly (FIN).
 * - `stall`: hold for `ms`: `phase 'request'` (default) before forwarding, `'response'` after
 *   S3 answered but before the headers, `'body'` after the headers and half the body.
 * - `corrupt`: flip `flips` bytes (default 1) of the response body at seeded positions,
 *   keeping its length.
 */
export type Fault =
  | {
      kind: 'status';
      status: number;
      code?: string;
      message?: string;
      after?: boolean;
      headers?: Record<string, string>;
    }
  | { kind: 'reset'; at?: 'request' | 'headers' | 'body'; afterBytes?: number }
  | { kind: 'truncate'; keepBytes?: number }
  | { kind: 'stall'; ms: number; phase?: 'request' | 'response' | 'body' }
  | { kind: 'corrupt'; flips?: number };

export interface FaultRule {
  /** For the log and assertions (default `rule<N>`). */
  name?: string;
  /** HTTP methods (any case); default: every method. */
  method?: string | readonly string[];
  /**
   * Request target (path and query) to match: a string matches as a substring, a RegExp is
   * tested; both against the raw and the percent-decoded target. Default: every request.
   */
  path?: string | RegExp;
  /** Inject only on these occurrences (1-based) of requests matching method and path. */
  nth?: number | readonly number[];
  /** Inject with this probability (seeded PRNG, so a run is reproducible). */
  probability?: number;
  /** At most this many injections by this rule. */
  times?: number;
  fault: Fault;
}

export interface FaultPlan {
  rules: readonly FaultRule[];
  /** Seed of the PRNG behind `probability` and byte positions (default 1). */
  seed?: number;
}

export interface ProxiedRequest {
  method: string;
  url: string;
  /** Name of the rule that fired, if one did. */
  fault?: string;
  /** Status sent to the client (S3's or injected); undefined when the connection was cut first. */
  status?: number;
}

export interface FaultProxyOptions {
  /** The real S3 endpoint, e.g. `http://127.0.0.1:8000`. */
  target: string;
  plan?: FaultPlan;
  /** The proxy closes itself after this long (default 10 minutes). */
  maxLifetimeMs?: number;
  /** Stalls are cut to this (default 60 s). */
  maxStallMs?: number;
  /** Concurrent client connections (default 256). */
  maxConnections?: number;
  /** Requests kept in `requests` (default 10,000; older ones are dropped). */
  maxLog?: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: use as the S3 endpoint. */
  readonly url: string;
  readonly port: number;
  /** Requests seen, oldest first (bounded by `maxLog`). */
  readonly requests: readonly ProxiedRequest[];
  /** Injections per rule name. */
  readonly injected: Readonly<Record<string, number>>;
  /** Total injections. */
  injections(): number;
  /** Replaces the plan and resets occurrence counters, the log and the PRNG. */
  setPlan(plan: FaultPlan): void;
  /** Stops listening, cuts every connection and cancels every stall. Idempotent. */
  close(): Promise<void>;
  readonly closed: boolean;
}

/** mulberry32: small, fast, good enough to spread faults reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DEFAULT_CODES: Record<number, [string, string]> = {
  400: ['BadRequest', 'Bad Request'],
  403: ['AccessDenied', 'Access Denied'],
  404: ['NoSuchKey', 'The specified key does not exist.'],
  409: ['ConditionalRequestConflict', 'A conflicting conditional operation is currently in progress.'],
  412: ['PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'],
  429: ['SlowDown', 'Please reduce your request rate.'],
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
  502: ['BadGateway', 'Bad Gateway'],
  503: ['SlowDown', 'Please reduce your request rate.'],
};

/** The XML error body S3 sends. */
export function s3ErrorXml(code: string, message: string, resource: string, requestId: string): string {
  const esc = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message>` +
    `<Resource>${esc(resource)}</Resource><RequestId>${esc(requestId)}</RequestId></Error>`
  );
}

// Hop-by-hop headers and `expect` (not signed by SigV4; the proxy answers 100-continue itself).
const DROPPED_REQUEST_HEADERS = new Set(['expect', 'proxy-connection', 'te', 'trailer', 'upgrade']);

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new Error(`fault proxy: only http targets, got ${options.target}`);
  const maxStallMs = options.maxStallMs ?? 60_000;
  const maxLog = options.maxLog ?? 10_000;
  const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: ProxiedRequest[] = [];
  let injected: Record<string, number> = {};
  let plan: FaultPlan = options.plan ?? { rules: [] };
  let occurrences: number[] = [];
  let fired: number[] = [];
  let random = seededRandom(plan.seed ?? 1);
  let requestCounter = 0;
  let closed = false;

  const setPlan = (next: FaultPlan) => {
    plan = next;
    occurrences = next.rules.map(() => 0);
    fired = next.rules.map(() => 0);
    random = seededRandom(next.seed ?? 1);
    injected = {};
    requests.length = 0;
  };
  setPlan(plan);

  /** Waits `ms` (capped), or less if the proxy closes or `abandon` fires. */
  const wait = (ms: number, abandon?: Socket): Promise<void> =>
    new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        timers.delete(timer);
        abandon?.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(ms, maxStallMs)));
      timers.add(timer);
      abandon?.once('close', done);
    });

  const choose = (req: IncomingMessage): { rule: FaultRule; name: string } | undefined => {
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = req.url ?? '/';
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      /* keep raw */
    }
    // Every matching rule counts the occurrence, whether or not an earlier rule fires: `nth`
    // always refers to the requests that rule matches.
    let chosen: { rule: FaultRule; name: string } | undefined;
    for (const [index, rule] of plan.rules.entries()) {
      const methods = rule.method === undefined ? undefined : [rule.method].flat();
      if (methods && !methods.some((m) => m.toUpperCase() === method)) continue;
      if (rule.path !== undefined) {
        const matches =
          typeof rule.path === 'string'
            ? raw.includes(rule.path) || decoded.includes(rule.path)
            : testRegExp(rule.path, raw) || testRegExp(rule.path, decoded);
        if (!matches) continue;
      }
      const occurrence = (occurrences[index] ?? 0) + 1;
      occurrences[index] = occurrence;
      if (chosen) continue;
      if (rule.times !== undefined && (fired[index] ?? 0) >= rule.times) continue;
      if (rule.nth !== undefined && ![rule.nth].flat().includes(occurrence)) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      fired[index] = (fired[index] ?? 0) + 1;
      const name = rule.name ?? `rule${index}`;
      injected[name] = (injected[name] ?? 0) + 1;
      chosen = { rule, name };
    }
    return chosen;
  };

  const forward = (req: IncomingMessage): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (!DROPPED_REQUEST_HEADERS.has(name) && value !== undefined) headers[name] = value;
      }
      const upstream = http.request(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: upstreamAgent,
        },
        resolve,
      );
      upstream.on('error', reject);
      // The client went away: stop the upstream exchange too (its socket is not reused).
      req.socket.once('close', () => upstream.destroy());
      req.pipe(upstream);
    });

  const cut = (socket: Socket) => {
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  };

  const sendHead = (res: ServerResponse, up: IncomingMessage, status?: number) => {
    res.writeHead(status ?? up.statusCode ?? 502, up.headers);
    res.flushHeaders();
  };

  const relay = async (
    res: ServerResponse,
    up: IncomingMessage,
    transform?: (chunk: Buffer, offset: number) => Buffer,
  ): Promise<void> => {
    let offset = 0;
    for await (const data of up) {
      const chunk = data as Buffer;
      const out = transform ? transform(chunk, offset) : chunk;
      offset += chunk.length;
      if (res.destroyed) {
        up.destroy();
        return;
      }
      if (!res.write(out)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
    }
    res.end();
  };

  const sendError = (req: IncomingMessage, res: ServerResponse, fault: Fault & { kind: 'status' }) => {
    const [defaultCode, defaultMessage] = DEFAULT_CODES[fault.status] ?? ['InternalError', 'Injected error'];
    const requestId = `FAULT${(++requestCounter).toString(16).toUpperCase()}${randomBytes(4).toString('hex').toUpperCase()}`;
    const body =
      req.method === 'HEAD'
        ? ''
        : s3ErrorXml(
            fault.code ?? defaultCode,
            fault.message ?? defaultMessage,
            (req.url ?? '/').split('?')[0] ?? '/',
            requestId,
          );
    res.writeHead(fault.status, {
      'content-type': 'application/xml',
      'content-length': Buffer.byteLength(body),
      'x-amz-request-id': requestId,
      ...(fault.status === 503 || fault.status === 429 ? { 'retry-after': '0' } : {}),
      ...(fault.headers ?? {}),
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const entry: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/' };
    requests.push(entry);
    if (requests.length > maxLog) requests.splice(0, requests.length - maxLog);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    const chosen = choose(req);
    if (chosen) entry.fault = chosen.name;
    const fault = chosen?.rule.fault;
    const socket = req.socket;

    if (!fault) {
      const up = await forward(req);
      sendHead(res, up);
      return relay(res, up);
    }
    switch (fault.kind) {
      case 'status': {
        if (fault.after) {
          const up = await forward(req);
          up.resume();
          await new Promise((resolve) => up.once('end', resolve).once('close', resolve));
        } else {
          req.resume();
          await new Promise((resolve) => req.once('end', resolve).once('close', resolve));
        }
        if (!res.destroyed) sendError(req, res, fault);
        return;
      }
      case 'reset': {
        const at = fault.at ?? 'body';
        if (at === 'request') {
          cut(socket);
          return;
        }
        const up = await forward(req);
        if (at === 'headers') {
          up.resume();
          await new Promise((resolve) => up.once('end', resolve).once('close', resolve));
          cut(socket);
          return;
        }
        const length = Number(up.headers['content-length'] ?? 0);
        const keep = fault.afterBytes ?? Math.floor(length / 2);
        sendHead(res, up);
        await relayPrefix(res, up, keep);
        cut(socket);
        up.destroy();
        return;
      }
      case 'truncate': {
        const up = await forward(req);
        const length = Number(up.headers['content-length'] ?? 0);
        const keep = Math.min(fault.keepBytes ?? Math.floor(length / 2), Math.max(0, length - 1));
        sendHead(res, up);
        await relayPrefix(res, up, keep);
        // A clean close (FIN) after fewer bytes than Content-Length announced.
        socket.end();
        up.destroy();
        return;
      }
      case 'stall': {
        const phase = fault.phase ?? 'request';
        if (phase === 'request') {
          await wait(fault.ms, socket);
          if (socket.destroyed || closed) {
            req.resume();
            return;
          }
          const up = await forward(req);
          sendHead(res, up);
          return relay(res, up);
        }
        const up = await forward(req);
        if (phase === 'response') {
          await wait(fault.ms, socket);
          if (socket.destroyed || closed) {
            up.destroy();
            return;
          }
          sendHead(res, up);
          return relay(res, up);
        }
        const length = Number(up.headers['content-length'] ?? 0);
        sendHead(res, up);
        await relayPrefix(res, up, Math.floor(length / 2), async () => {
          await wait(fault.ms, socket);
        });
        if (socket.destroyed || closed) {
          up.destroy();
          return;
        }
        return relay(res, up);
      }
      case 'corrupt': {
        const up = await forward(req);
        const length = Number(up.headers['content-length'] ?? 0);
        const flips = Math.max(1, fault.flips ?? 1);
        const positions = new Set<number>();
        if (length > 0) for (let i = 0; i < flips; i++) positions.add(Math.floor(random() * length));
        else positions.add(0);
        sendHead(res, up);
        return relay(res, up, (chunk, offset) => {
          let copy: Buffer | undefined;
          for (const position of positions) {
            const at = position - offset;
            if (at >= 0 && at < chunk.length) {
              copy ??= Buffer.from(chunk);
              // XOR with a non-zero value: the byte always changes.
              copy[at] = (copy[at] as number) ^ (1 + Math.floor(random() * 255));
            }
          }
          return copy ?? chunk;
        });
      }
    }
  };

  /**
   * Relays the first `keep` bytes of the body, then stops reading (the rest is left unread).
   * With `pause`, awaits it at that point and then returns, leaving the remainder for `relay`.
   */
  const relayPrefix = async (
    res: ServerResponse,
    up: IncomingMessage,
    keep: number,
    pause?: () => Promise<void>,
  ): Promise<void> => {
    let sent = 0;
    if (keep <= 0) {
      if (pause) await pause();
      return;
    }
    while (sent < keep) {
      const chunk = await readSome(up);
      if (!chunk) break;
      const take = Math.min(chunk.length, keep - sent);
      if (!res.destroyed) res.write(chunk.subarray(0, take));
      sent += take;
      if (take < chunk.length) up.unshift(chunk.subarray(take));
    }
    if (pause) await pause();
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      // Upstream failed or the client went away: cut the connection, never hang it.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('fault proxy: upstream failed');
      } else cut(req.socket);
    });
  });
  server.maxConnections = options.maxConnections ?? 256;
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      closed = true;
      clearTimeout(lifetime);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
      upstreamAgent.destroy();
    });
    return closing;
  };
  const lifetime = setTimeout(() => void close(), options.maxLifetimeMs ?? 10 * 60_000);
  lifetime.unref();

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get injected() {
      return injected;
    },
    injections: () => Object.values(injected).reduce((sum, n) => sum + n, 0),
    setPlan,
    close,
    get closed() {
      return closed;
    },
  };
}

function testRegExp(re: RegExp, value: string): boolean {
  re.lastIndex = 0;
  return re.test(value);
}

/** The next chunk of a readable, or undefined at its end. */
function readSome(stream: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunk = stream.read() as Buffer | null;
    if (chunk) {
      resolve(chunk);
      return;
    }
    if (stream.readableEnded || stream.destroyed) {
      resolve(undefined);
      return;
    }
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
    };
    const onReadable = () => {
      const next = stream.read() as Buffer | null;
      if (next) {
        cleanup();
        resolve(next);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
  });
}

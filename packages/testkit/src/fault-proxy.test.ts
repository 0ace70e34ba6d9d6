import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, type FaultRule, s3ErrorXml, seededRandom, startFaultProxy } from './fault-proxy.js';

// A tiny origin: GET /data/<n> answers n deterministic bytes, PUT echoes the body's sha256.
const origin = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'PUT') {
    const hash = createHash('sha256');
    req.on('data', (d: Buffer) => hash.update(d));
    req.on('end', () => {
      puts.push(url);
      res.writeHead(200, { etag: `"${hash.digest('hex')}"`, 'content-length': 0 });
      res.end();
    });
    return;
  }
  const size = Number(/\/data\/(\d+)/.exec(url)?.[1] ?? 0);
  const body = payload(size);
  res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
  if (req.method === 'HEAD') res.end();
  else res.end(body);
});
const puts: string[] = [];
let originUrl = '';

function payload(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

interface Reply {
  status?: number | undefined;
  body?: Buffer;
  error?: string;
  headers?: http.IncomingHttpHeaders;
}

/** One request through a fresh connection; resolves with what arrived or how it failed. */
function request(url: string, method = 'GET', body?: Buffer, timeoutMs = 10_000): Promise<Reply> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () =>
        resolve({ status: res.statusCode, body: Buffer.concat(chunks), headers: res.headers }),
      );
      res.on('error', (err) =>
        resolve({ status: res.statusCode, error: (err as NodeJS.ErrnoException).code ?? err.message }),
      );
      res.on('aborted', () => resolve({ status: res.statusCode, error: 'aborted' }));
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(body);
  });
}

describe('startFaultProxy', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => origin.close(() => resolve()));
  });
  afterEach(async () => {
    await proxy?.close();
  });

  const start = async (rules: FaultRule[], seed = 1) => {
    proxy = await startFaultProxy({ target: originUrl, plan: { rules, seed } });
    return proxy;
  };

  it('forwards requests unchanged when no rule matches', async () => {
    const p = await start([{ path: '/never', fault: { kind: 'status', status: 500 } }]);
    const reply = await request(`${p.url}/data/100000`);
    expect(reply.status).toBe(200);
    expect(reply.body?.equals(payload(100000))).toBe(true);
    const put = await request(`${p.url}/obj`, 'PUT', Buffer.from('hello'));
    expect(put.headers?.etag).toBe(`"${createHash('sha256').update('hello').digest('hex')}"`);
    expect(p.injections()).toBe(0);
    expect(p.requests.map((r) => [r.method, r.url, r.status])).toEqual([
      ['GET', '/data/100000', 200],
      ['PUT', '/obj', 200],
    ]);
  });

  it('answers injected statuses with an S3 XML error body, before or after the origin saw the request', async () => {
    const p = await start([
      { name: 'slow', method: 'GET', fault: { kind: 'status', status: 503 } },
      { name: 'lost', method: 'PUT', fault: { kind: 'status', status: 500, after: true } },
    ]);
    const reply = await request(`${p.url}/data/10`);
    expect(reply.status).toBe(503);
    expect(reply.body?.toString()).toMatch(
      /<Code>SlowDown<\/Code><Message>Please reduce your request rate\.<\/Message>/,
    );
    const before = puts.length;
    const put = await request(`${p.url}/written-anyway`, 'PUT', Buffer.from('x'));
    expect(put.status).toBe(500);
    expect(put.body?.toString()).toContain('<Code>InternalError</Code>');
    expect(puts.slice(before)).toEqual(['/written-anyway']);
    expect(p.injected).toEqual({ slow: 1, lost: 1 });
    expect(s3ErrorXml('A&B', '<x>', '/r', 'id')).toContain(
      '<Code>A&amp;B</Code><Message>&lt;x&gt;</Message>',
    );
  });

  it('resets connections before the request, after the origin answered, and mid-body', async () => {
    const p = await start([
      { path: '/data/1000', nth: 1, fault: { kind: 'reset', at: 'request' } },
      { path: '/data/1000', nth: 2, fault: { kind: 'reset', at: 'headers' } },
      { path: '/data/1000', nth: 3, fault: { kind: 'reset', afterBytes: 100 } },
    ]);
    expect((await request(`${p.url}/data/1000`)).error).toMatch(/ECONNRESET|socket hang up/);
    expect((await request(`${p.url}/data/1000`)).error).toMatch(/ECONNRESET|socket hang up/);
    const mid = await request(`${p.url}/data/1000`);
    expect(mid.status).toBe(200);
    expect(mid.error).toMatch(/ECONNRESET|aborted/);
    // The 4th occurrence is not targeted: it goes through.
    expect((await request(`${p.url}/data/1000`)).body?.length).toBe(1000);
  });

  it('truncates a body below its Content-Length and closes cleanly', async () => {
    const p = await start([{ fault: { kind: 'truncate', keepBytes: 10 } }]);
    const reply = await request(`${p.url}/data/5000`);
    expect(reply.status).toBe(200);
    expect(reply.error).toMatch(/aborted|ECONNRESET/);
  });

  it('stalls in each phase, and a client giving up ends the stall', async () => {
    const p = await start([{ path: '/data/1000', fault: { kind: 'stall', ms: 400, phase: 'body' } }]);
    let t0 = performance.now();
    const slow = await request(`${p.url}/data/1000`);
    expect(slow.body?.equals(payload(1000))).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(350);

    p.setPlan({ rules: [{ fault: { kind: 'stall', ms: 30_000 } }] });
    t0 = performance.now();
    const gaveUp = await request(`${p.url}/data/10`, 'GET', undefined, 300);
    expect(gaveUp.error).toBe('client timeout');
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('flips bytes of a body, keeping its length, reproducibly for a seed', async () => {
    const flipped = async (seed: number) => {
      const p = await start([{ fault: { kind: 'corrupt', flips: 3 } }], seed);
      const reply = await request(`${p.url}/data/4096`);
      await p.close();
      const body = reply.body ?? Buffer.alloc(0);
      expect(body.length).toBe(4096);
      return [...body.keys()].filter((i) => body[i] !== payload(4096)[i]);
    };
    const a = await flipped(7);
    expect(a.length).toBeGreaterThanOrEqual(1);
    expect(a.length).toBeLessThanOrEqual(3);
    expect(await flipped(7)).toEqual(a);
  });

  it('picks occurrences by nth, probability (seeded) and times', async () => {
    const p = await start(
      [
        { name: 'third', path: '/data/1', nth: [3], fault: { kind: 'status', status: 500 } },
        { name: 'half', path: '/data/2', probability: 0.5, fault: { kind: 'status', status: 500 } },
        { name: 'twice', path: '/data/3', times: 2, fault: { kind: 'status', status: 500 } },
      ],
      42,
    );
    const statuses = async (path: string, n: number) => {
      const out: (number | undefined)[] = [];
      for (let i = 0; i < n; i++) out.push((await request(`${p.url}${path}`)).status);
      return out;
    };
    expect(await statuses('/data/1', 4)).toEqual([200, 200, 500, 200]);
    const half = await statuses('/data/2', 40);
    const failures = half.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(8);
    expect(failures).toBeLessThan(32);
    expect(await statuses('/data/3', 4)).toEqual([500, 500, 200, 200]);
    // The same seed replays the same decisions.
    p.setPlan({
      rules: [{ path: '/data/2', probability: 0.5, fault: { kind: 'status', status: 500 } }],
      seed: 42,
    });
    expect(await statuses('/data/2', 40)).toEqual(half);
    const r = seededRandom(1);
    expect([r(), r()]).not.toEqual([r(), r()]);
  });

  it('stops itself after its lifetime, cutting stalled requests', async () => {
    proxy = await startFaultProxy({
      target: originUrl,
      plan: { rules: [{ fault: { kind: 'stall', ms: 60_000 } }] },
      maxLifetimeMs: 300,
    });
    const t0 = performance.now();
    const reply = await request(`${proxy.url}/data/10`);
    expect(reply.error).toBeDefined();
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(proxy.closed).toBe(true);
    expect((await request(`${proxy.url}/data/10`)).error).toBe('ECONNREFUSED');
  });
});

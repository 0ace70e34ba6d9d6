// Property-based tests of the manifest reader: whatever bytes arrive (random JSON, random text,
// mutations of a valid manifest), parseManifest either throws a ManifestError or returns a
// manifest that is consistent: every chunk inside a listed pack, lengths adding up, every field
// within its bounds. A manifest is network input and may be hostile.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/errors.js';
import {
  FORMAT,
  MAX_CHUNK_BYTES,
  type Manifest,
  parseManifest,
  serializeManifest,
} from '../../src/format/manifest.js';

const HEX64 = /^[0-9a-f]{64}$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Everything a consumer of a parsed manifest relies on. */
function expectConsistent(m: Manifest): void {
  expect(m.format).toBe(FORMAT);
  expect(['base', 'update']).toContain(m.kind);
  expect(m.id).toMatch(ID);
  expect(m.version).toMatch(HEX64);
  expect(m.key.length).toBeGreaterThanOrEqual(1);
  expect(m.key.length).toBeLessThanOrEqual(512);
  expect(m.compression).toBe('zstd');
  expect(m.packs.length).toBeGreaterThanOrEqual(1);
  expect(Number.isNaN(Date.parse(m.createdAt))).toBe(false);
  for (const pack of m.packs) {
    expect(pack.id).toMatch(ID);
    expect(['base', 'delta-archive']).toContain(pack.type);
    expect(Number.isSafeInteger(pack.bytes) && pack.bytes >= 0).toBe(true);
  }
  let raw = 0;
  for (const [hash, rawLength, pack, offset, length] of m.chunks) {
    expect(hash).toMatch(HEX64);
    expect(Number.isSafeInteger(rawLength) && rawLength >= 0 && rawLength <= MAX_CHUNK_BYTES).toBe(true);
    expect(Number.isSafeInteger(pack) && pack >= 0).toBe(true);
    const ref = m.packs[pack];
    expect(ref, `chunk names pack ${pack}`).toBeDefined();
    expect(Number.isSafeInteger(offset) && offset >= 0).toBe(true);
    expect(Number.isSafeInteger(length) && length >= 1).toBe(true);
    expect(offset + length).toBeLessThanOrEqual(ref?.bytes ?? -1);
    raw += rawLength;
  }
  expect(raw).toBe(m.rawBytes);
}

/** parseManifest's contract on any input: a consistent manifest or a ManifestError, nothing else. */
function check(input: string | Buffer): void {
  let parsed: Manifest;
  try {
    parsed = parseManifest(input, 'fuzz');
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(ManifestError);
    expect((err as Error).message.startsWith('fuzz: ')).toBe(true);
    return;
  }
  expectConsistent(parsed);
}

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
const iso = fc.integer({ min: 0, max: 4_000_000_000_000 }).map((ms) => new Date(ms).toISOString());

/** Valid manifests, built to satisfy every rule. */
const validManifest: fc.Arbitrary<Manifest> = fc
  .record({
    kind: fc.constantFrom('base' as const, 'update' as const),
    id,
    key: fc.string({ minLength: 1, maxLength: 60 }),
    version: hex64,
    createdAt: iso,
    paths: fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
    packs: fc.array(
      fc.record({
        id,
        type: fc.constantFrom('base' as const, 'delta-archive' as const),
        bytes: fc.integer({ min: 1, max: 1_000_000 }),
        createdAt: iso,
      }),
      { minLength: 1, maxLength: 4 },
    ),
    seeds: fc.array(
      fc.tuple(hex64, fc.integer({ min: 0, max: MAX_CHUNK_BYTES }), fc.nat(), fc.nat(), fc.nat()),
      { maxLength: 12 },
    ),
  })
  .map(({ seeds, packs, ...rest }) => {
    const chunks = seeds.map(([hash, rawLength, p, o, l]) => {
      const pack = p % packs.length;
      const bytes = packs[pack]?.bytes ?? 1;
      const length = 1 + (l % bytes);
      const offset = o % (bytes - length + 1);
      return [hash, rawLength, pack, offset, length] as Manifest['chunks'][number];
    });
    return {
      format: FORMAT,
      ...rest,
      repository: 'acme/app',
      scope: 'refs/heads/main',
      compression: 'zstd' as const,
      rawBytes: chunks.reduce((sum, c) => sum + c[1], 0),
      items: chunks.length,
      packs,
      chunks,
    };
  });

/** A JSON path into a value and a replacement: the mutation. */
type Mutation = { path: (string | number)[]; value: unknown } | { path: (string | number)[]; remove: true };

function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...paths(v, [...prefix, i]));
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function apply(root: unknown, mutation: Mutation): unknown {
  if (mutation.path.length === 0) return 'remove' in mutation ? undefined : mutation.value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const step of mutation.path.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
  const last = mutation.path[mutation.path.length - 1] as string | number;
  if ('remove' in mutation) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = mutation.value;
  return copy;
}

/** Values a hostile writer would try: wrong types, edge numbers, huge and negative sizes. */
const nasty = fc.oneof(
  fc.constantFrom(
    null,
    true,
    '',
    '../..',
    '__proto__',
    -1,
    0,
    1,
    0.5,
    2 ** 31,
    2 ** 53,
    Number.MAX_SAFE_INTEGER,
    -0,
    1e308,
    MAX_CHUNK_BYTES + 1,
    'f'.repeat(64),
    'F'.repeat(64),
    [],
    {},
    '2026-13-45T00:00:00Z',
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 10 }),
  fc.jsonValue({ maxDepth: 2 }),
);

describe('parseManifest (property-based)', () => {
  it('accepts every valid manifest and round-trips it', () => {
    fc.assert(
      fc.property(validManifest, (m) => {
        const parsed = parseManifest(serializeManifest(m));
        expect(parsed).toEqual(m);
        expectConsistent(parsed);
      }),
      { numRuns: 300 },
    );
  });

  it('random JSON values: a ManifestError or a consistent manifest, never anything else', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => check(JSON.stringify(value))),
      { numRuns: 500 },
    );
  });

  it('random text and random bytes: only ManifestError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 })), (input) =>
        check(typeof input === 'string' ? input : Buffer.from(input)),
      ),
      { numRuns: 500 },
    );
  });

  it('one to three mutations of a valid manifest: rejected, or still consistent', () => {
    const mutated = validManifest.chain((m) => {
      const all = paths(m);
      const mutation: fc.Arbitrary<Mutation> = fc.oneof(
        fc.record({ path: fc.constantFrom(...all), value: nasty }),
        fc.record({ path: fc.constantFrom(...all), remove: fc.constant(true as const) }),
      );
      return fc.tuple(fc.constant(m), fc.array(mutation, { minLength: 1, maxLength: 3 }));
    });
    fc.assert(
      fc.property(mutated, ([m, mutations]) => {
        let value: unknown = m;
        for (const mutation of mutations) {
          try {
            value = apply(value, mutation);
          } catch {
            // the path vanished with an earlier mutation
          }
        }
        check(JSON.stringify(value) ?? 'undefined');
      }),
      { numRuns: 1500 },
    );
  });

  it('byte-level damage of a serialized manifest: rejected, or still consistent', () => {
    const damaged = validManifest.chain((m) => {
      const bytes = serializeManifest(m);
      return fc.tuple(
        fc.constant(bytes),
        fc.array(fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.option(fc.nat({ max: bytes.length }), { nil: undefined }),
      );
    });
    fc.assert(
      fc.property(damaged, ([bytes, flips, cut]) => {
        const copy = Buffer.from(bytes);
        for (const [at, xor] of flips) copy[at] = (copy[at] as number) ^ xor;
        check(cut === undefined ? copy : copy.subarray(0, cut));
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects the specific lies a hostile writer would tell', () => {
    const base = fc.sample(
      validManifest.filter((m) => m.chunks.length > 0),
      { numRuns: 1, seed: 7 },
    )[0] as Manifest;
    const lies: [string, (m: Manifest) => void, RegExp][] = [
      [
        'a chunk past its pack',
        (m) => {
          (m.chunks[0] as Manifest['chunks'][number])[3] = (m.packs[0]?.bytes ?? 0) * 2 + 1;
        },
        /outside pack|not listed/,
      ],
      [
        'a pack index past the list',
        (m) => {
          (m.chunks[0] as Manifest['chunks'][number])[2] = m.packs.length;
        },
        /not listed/,
      ],
      [
        'an empty stored frame',
        (m) => {
          (m.chunks[0] as Manifest['chunks'][number])[4] = 0;
        },
        /chunks/,
      ],
      [
        'an oversized chunk',
        (m) => {
          (m.chunks[0] as Manifest['chunks'][number])[1] = MAX_CHUNK_BYTES + 1;
        },
        /chunks/,
      ],
      [
        'a total that does not add up',
        (m) => {
          m.rawBytes += 1;
        },
        /add up/,
      ],
      [
        'an upper-case hash',
        (m) => {
          (m.chunks[0] as Manifest['chunks'][number])[0] = 'A'.repeat(64);
        },
        /sha256/,
      ],
      [
        'a pack id with a slash',
        (m) => {
          (m.packs[0] as Manifest['packs'][number]).id = 'a/../b';
        },
        /packs/,
      ],
      [
        'no packs',
        (m) => {
          m.packs = [];
        },
        /packs/,
      ],
      [
        'an unsafe integer',
        (m) => {
          (m.packs[0] as Manifest['packs'][number]).bytes = 2 ** 60;
        },
        /packs/,
      ],
      [
        'a fractional offset',
        (m) => {
          (m.chunks[0] as Manifest['chunks'][number])[3] = 0.5;
        },
        /chunks/,
      ],
      [
        'a 513-character key',
        (m) => {
          m.key = 'k'.repeat(513);
        },
        /key/,
      ],
      [
        'another format',
        (m) => {
          (m as { format: string }).format = 's3cache/2';
        },
        /format/,
      ],
    ];
    for (const [name, lie, message] of lies) {
      const m = structuredClone(base);
      lie(m);
      expect(() => parseManifest(serializeManifest(m), name), name).toThrow(ManifestError);
      expect(() => parseManifest(serializeManifest(m), name), name).toThrow(message);
    }
  });
});

// Hostile entries end to end: a manifest and a pack crafted by hand (as anybody with write access
// to a scope could) and put in the real bucket, then restored through the engine. Each must be
// refused with a clear one-line message (or be a miss), and nothing may appear outside the
// cache paths. The extractor's rules are unit-tested in src/tar; this is the same attack through
// the whole restore path: listing, manifest parsing, ranged GETs, frame checks, hashing, tar.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { s3TestsSkipped } from '@s3cache/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/engine/context.js';
import { restoreCache } from '../../src/engine/restore.js';
import { defaultCodec, nativeCodec, type ZstdCodec, zlibCodec } from '../../src/format/codec.js';
import { FORMAT, type Manifest, serializeManifest } from '../../src/format/manifest.js';
import { archive, type Member } from '../tar-archive.js';
import {
  digest,
  type FaultLab,
  MAIN,
  REPOSITORY,
  settle,
  startFaultLab,
  tempDir,
  VERSION,
} from './support.js';

interface CraftedChunk {
  frame: Buffer;
  rawLength: number;
  hash: string;
}

/** Cuts `raw` into chunks of `size` and compresses each as its own frame: an honest pack. */
async function honestChunks(codec: ZstdCodec, raw: Buffer, size = 4096): Promise<CraftedChunk[]> {
  const out: CraftedChunk[] = [];
  for (let at = 0; at < raw.length; at += size) {
    const piece = raw.subarray(at, at + size);
    out.push({
      frame: await codec.compress(piece, 3),
      rawLength: piece.length,
      hash: createHash('sha256').update(piece).digest('hex'),
    });
  }
  return out;
}

/** A zstd frame of `blocks` RLE blocks of 128 KiB of 'A' without a content size: a bomb. */
function rleBomb(blocks: number): Buffer {
  const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]);
  const parts: Buffer[] = [header];
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    const value = ((128 * 1024) << 3) | (1 << 1) | last;
    parts.push(Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, 0x41]));
  }
  return Buffer.concat(parts);
}

interface Craft {
  chunks: CraftedChunk[];
  /** Changes to the manifest after it was built honestly from `chunks`. */
  tamper?: (m: Manifest) => void;
  /** The key whose entry directory receives the objects (default: the manifest's key). */
  directoryKey?: string;
}

const codecs: { name: string; make: () => ZstdCodec }[] = [];
for (const [name, make] of [
  ['native', nativeCodec],
  ['node:zlib', zlibCodec],
] as const) {
  try {
    make();
    codecs.push({ name, make });
  } catch {
    // not on this runtime (node:zlib zstd needs Node >= 22.15); the Node 24 pass covers it
  }
}

describe.skipIf(s3TestsSkipped())('hostile entries restored end to end (real S3)', () => {
  let lab: FaultLab;
  let root: string;
  let workspace: string;
  let outside: string;
  let outsideBefore: Record<string, string>;
  let counter = 0;

  beforeAll(async () => {
    lab = await startFaultLab({ rules: [] }, 'hostile');
  });
  afterAll(async () => {
    await lab?.close();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
    root = await tempDir('hostile');
    workspace = join(root, 'ws');
    outside = join(root, 'outside');
    await fs.mkdir(join(workspace, 'cache'), { recursive: true });
    await fs.mkdir(outside);
    await fs.writeFile(join(outside, 'secret'), 'do not touch\n');
    await fs.writeFile(join(workspace, 'cache', 'preexisting'), 'mine\n');
    outsideBefore = await digest(root);
  });

  /** Puts a crafted entry in the bucket; returns its key. */
  async function put(craft: Craft): Promise<string> {
    const key = `hostile-${++counter}`;
    const packId = `p${counter}`;
    const pack = Buffer.concat(craft.chunks.map((c) => c.frame));
    let offset = 0;
    const manifest: Manifest = {
      format: FORMAT,
      kind: 'base',
      id: `g${counter}`,
      repository: REPOSITORY,
      scope: MAIN,
      version: VERSION,
      key,
      createdAt: new Date().toISOString(),
      paths: ['cache'],
      compression: 'zstd',
      rawBytes: craft.chunks.reduce((sum, c) => sum + c.rawLength, 0),
      items: 1,
      packs: [{ id: packId, type: 'base', bytes: pack.length, createdAt: new Date().toISOString() }],
      chunks: craft.chunks.map((c) => {
        const tuple: Manifest['chunks'][number] = [c.hash, c.rawLength, 0, offset, c.frame.length];
        offset += c.frame.length;
        return tuple;
      }),
    };
    craft.tamper?.(manifest);
    const entryDir = lab.layout.entryDir({
      repository: REPOSITORY,
      scope: MAIN,
      version: VERSION,
      key: craft.directoryKey ?? key,
    });
    await lab.direct.putObject(lab.layout.packKey(entryDir, packId), pack, { tags: { type: 'base' } });
    await lab.direct.putObject(lab.layout.manifestKey(entryDir), serializeManifest(manifest), {
      tags: { type: 'manifest' },
    });
    return craft.directoryKey ?? key;
  }

  async function restore(key: string, codec?: ZstdCodec) {
    const warnings: string[] = [];
    const log: Logger = { info() {}, debug() {}, warn: (m) => warnings.push(m) };
    const outcome = await settle(() =>
      restoreCache(
        { ...lab.ctx(lab.direct), log, ...(codec ? { codec } : {}) },
        {
          repository: REPOSITORY,
          scopes: [MAIN],
          version: VERSION,
          primaryKey: key,
          restoreKeys: [],
          paths: ['cache'],
          workspace,
        },
      ),
    );
    return { outcome, warnings };
  }

  /** Refused with `name` and a one-line message matching `message`; nothing written outside. */
  async function expectRefused(key: string, name: string, message: RegExp, codec?: ZstdCodec) {
    const { outcome } = await restore(key, codec);
    expect(outcome.ok, outcome.ok ? JSON.stringify(outcome.value) : '').toBe(false);
    if (outcome.ok) return;
    const error = outcome.error as Error;
    expect(error.name, error.message).toBe(name);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
    await expectNothingOutside();
  }

  /** The sentinel tree outside the cache paths is untouched, and nothing new appeared there. */
  async function expectNothingOutside() {
    const after = await digest(root);
    for (const [path, what] of Object.entries(after)) {
      if (path.startsWith('ws/cache/') || path === 'ws' || path === 'ws/cache') continue;
      expect(outsideBefore[path], `${path} appeared or changed outside the cache paths`).toBe(what);
    }
    for (const path of Object.keys(outsideBefore)) expect(after[path], `${path} vanished`).toBeDefined();
    expect(await fs.readFile(join(outside, 'secret'), 'utf8')).toBe('do not touch\n');
  }

  const tarOf = async (members: Member[]) => honestChunks(defaultCodec(), await archive(members));

  it('path traversal (../) is refused', async () => {
    const key = await put({ chunks: await tarOf([{ header: { name: '../outside/evil' }, body: 'x' }]) });
    await expectRefused(
      key,
      'UnsafeArchiveError',
      /"\.\.\/outside\/evil": path uses '\.\.' to leave the cache paths/,
    );
  });

  it('an absolute path is refused', async () => {
    const key = await put({ chunks: await tarOf([{ header: { name: join(outside, 'abs') }, body: 'x' }]) });
    await expectRefused(key, 'UnsafeArchiveError', /absolute path/);
  });

  it('a symlink escaping the cache paths is refused before anything goes through it', async () => {
    const key = await put({
      chunks: await tarOf([
        { header: { name: 'cache/link', type: 'symlink', linkname: '../../outside' } },
        { header: { name: 'cache/link/evil' }, body: 'x' },
      ]),
    });
    await expectRefused(
      key,
      'UnsafeArchiveError',
      /"cache\/link": symbolic link target '\.\.\/\.\.\/outside' points outside/,
    );
  });

  it('writing through a symlink the archive made (pointing inside) is refused', async () => {
    const key = await put({
      chunks: await tarOf([
        { header: { name: 'cache/dir', type: 'directory' } },
        { header: { name: 'cache/l', type: 'symlink', linkname: 'dir' } },
        { header: { name: 'cache/l/x' }, body: 'x' },
      ]),
    });
    await expectRefused(
      key,
      'UnsafeArchiveError',
      /'cache\/l' is a symbolic link; refusing to write through it/,
    );
  });

  it('a hardlink to a file outside is refused', async () => {
    const key = await put({
      chunks: await tarOf([{ header: { name: 'cache/h', type: 'link', linkname: '../outside/secret' } }]),
    });
    await expectRefused(key, 'UnsafeArchiveError', /hard link target uses '\.\.' to leave the cache paths/);
  });

  it('a hardlink to a file the archive did not extract is refused', async () => {
    const key = await put({
      chunks: await tarOf([{ header: { name: 'cache/h', type: 'link', linkname: 'cache/preexisting' } }]),
    });
    await expectRefused(key, 'UnsafeArchiveError', /hard link target is not a file extracted earlier/);
  });

  it.each([
    ['a character device', 'character-device'],
    ['a block device', 'block-device'],
    ['a FIFO', 'fifo'],
  ] as const)('%s is refused', async (_name, type) => {
    const key = await put({
      chunks: await tarOf([{ header: { name: 'cache/dev', type, devmajor: 1, devminor: 3 } }]),
    });
    await expectRefused(key, 'UnsafeArchiveError', new RegExp(`unsupported member type '${type}'`));
  });

  it('a forged chunk hash is refused before a byte reaches the disk', async () => {
    const chunks = await tarOf([{ header: { name: 'cache/file' }, body: 'genuine content\n'.repeat(100) }]);
    const key = await put({
      chunks,
      tamper: (m) => {
        (m.chunks[0] as Manifest['chunks'][number])[0] = 'f'.repeat(64);
      },
    });
    await expectRefused(
      key,
      'IntegrityError',
      /chunk ffffffffffff of .* fails verification \(got [0-9a-f]{12}\)/,
    );
    expect(await fs.readdir(join(workspace, 'cache'))).toEqual(['preexisting']);
  });

  it('chunks swapped between two entries (valid hashes, another entry’s bytes) are refused', async () => {
    const mine = await tarOf([{ header: { name: 'cache/file' }, body: 'mine\n'.repeat(2000) }]);
    const theirs = await tarOf([{ header: { name: 'cache/file' }, body: 'theirs\n'.repeat(2000) }]);
    // The manifest keeps our hashes, the pack holds the other entry's frames.
    const key = await put({ chunks: theirs.map((c, i) => ({ ...c, hash: mine[i]?.hash ?? c.hash })) });
    await expectRefused(key, 'IntegrityError', /fails verification/);
  });

  it('a chunk that decompresses far beyond its declared size (RLE bomb) is refused unread', async () => {
    const bomb = rleBomb(4000); // ~500 MiB from 16 KB
    const key = await put({
      chunks: [
        {
          frame: bomb,
          rawLength: 1024,
          hash: createHash('sha256').update(Buffer.alloc(1024, 0x41)).digest('hex'),
        },
      ],
    });
    const { outcome } = await restore(key);
    expect(outcome.ok).toBe(false);
    expect((outcome as { error: Error }).error.message).toMatch(
      /zstd frame can expand to 524288000 bytes, manifest says 1024/,
    );
    await expectNothingOutside();
  });

  for (const { name, make } of codecs) {
    it(`a frame that decompresses beyond its declared size within the block bound is refused (${name})`, async () => {
      const codec = make();
      // An honest frame of 64 KiB whose manifest claims 1 KiB: no content size in the header
      // would be the hostile variant; the frame check or the decoder's limit must catch both.
      const raw = Buffer.alloc(64 * 1024, 0x42);
      const frame = await codec.compress(raw, 3);
      const stripped = stripContentSize(frame);
      for (const f of [frame, stripped]) {
        const key = await put({
          chunks: [
            {
              frame: f,
              rawLength: 1024,
              hash: createHash('sha256').update(raw.subarray(0, 1024)).digest('hex'),
            },
          ],
        });
        const { outcome } = await restore(key, codec);
        expect(outcome.ok).toBe(false);
        const error = (outcome as { error: Error }).error;
        expect(error.name, error.message).toBe('IntegrityError');
        expect(error.message).toMatch(
          /declares 65536 bytes, manifest says 1024|decompressed to|exceeds|larger than/,
        );
        await expectNothingOutside();
      }
    });
  }

  it('a manifest pointing outside its pack is ignored as unreadable (a miss with a warning)', async () => {
    const chunks = await tarOf([{ header: { name: 'cache/file' }, body: 'x' }]);
    const key = await put({
      chunks,
      tamper: (m) => {
        const c = m.chunks[0] as Manifest['chunks'][number];
        c[3] = (m.packs[0]?.bytes ?? 0) + 10;
      },
    });
    const { outcome, warnings } = await restore(key);
    expect(outcome.ok && outcome.value.matchedKey).toBe(undefined);
    expect(warnings.join('\n')).toMatch(/Ignoring unreadable manifest .*: chunk 0 lies outside pack p\d+/);
    await expectNothingOutside();
  });

  it('a manifest that lies about its pack size (chunk beyond the real object) is refused', async () => {
    const chunks = await tarOf([{ header: { name: 'cache/file' }, body: 'y'.repeat(3000) }]);
    const key = await put({
      chunks,
      tamper: (m) => {
        const pack = m.packs[0] as Manifest['packs'][number];
        pack.bytes += 100_000;
        const last = m.chunks[m.chunks.length - 1] as Manifest['chunks'][number];
        last[3] += 50_000;
      },
    });
    const { outcome } = await restore(key);
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: Error }).error;
    expect(['IntegrityError', 'StoreError']).toContain(error.name);
    expect(error.message).not.toContain('\n');
    await expectNothingOutside();
  });

  it('a pack id that tries to leave the entry directory is refused by the manifest schema', async () => {
    const chunks = await tarOf([{ header: { name: 'cache/file' }, body: 'x' }]);
    const key = await put({
      chunks,
      tamper: (m) => {
        (m.packs[0] as Manifest['packs'][number]).id = '../../../other/packs/x';
      },
    });
    const { outcome, warnings } = await restore(key);
    expect(outcome.ok && outcome.value.matchedKey).toBe(undefined);
    expect(warnings.join('\n')).toMatch(/Ignoring unreadable manifest .*: packs\.0\.id: /);
  });

  it('a manifest for another version placed in an entry directory is not restored', async () => {
    const chunks = await tarOf([{ header: { name: 'cache/file' }, body: 'other version\n' }]);
    const key = await put({
      chunks,
      tamper: (m) => {
        m.version = 'd'.repeat(64);
      },
    });
    const { outcome } = await restore(key);
    expect(outcome.ok && outcome.value.matchedKey).toBe(undefined);
    expect(await fs.readdir(join(workspace, 'cache'))).toEqual(['preexisting']);
  });

  it('a manifest for another key placed in an entry directory is ignored', async () => {
    const chunks = await tarOf([{ header: { name: 'cache/file' }, body: 'planted\n' }]);
    // Directory of `victim`, manifest says `attacker`: not an exact match, not a prefix match.
    await put({
      chunks,
      directoryKey: 'victim',
      tamper: (m) => {
        m.key = 'attacker';
      },
    });
    const miss = await restore('victim');
    expect(miss.outcome.ok && miss.outcome.value.matchedKey).toBe(undefined);
    // Directory of `victim2`, manifest says `victim2-planted`, which starts with the searched key:
    // the manifest does not belong where it was found, so it is not a prefix match either.
    await put({
      chunks,
      directoryKey: 'victim2',
      tamper: (m) => {
        m.key = 'victim2-planted';
      },
    });
    const prefix = await restore('victim2');
    expect(prefix.outcome.ok && prefix.outcome.value.matchedKey).toBe(undefined);
    await expectNothingOutside();
  });

  it('a member larger than the stream (size header lies) leaves no half-written file', async () => {
    const full = await archive([{ header: { name: 'cache/big' }, body: Buffer.alloc(50_000, 0x43) }]);
    // Keep the header and 10 KB of the body, then end the stream.
    const cut = full.subarray(0, 512 + 10_000);
    const key = await put({ chunks: await honestChunks(defaultCodec(), cut) });
    await expectRefused(
      key,
      'ArchiveExtractError',
      /corrupt or unreadable archive: truncated archive: no end-of-archive marker/,
    );
    expect(await fs.readdir(join(workspace, 'cache'))).toEqual(['preexisting']);
  });
});

/** The same frame without its Frame_Content_Size field (single-segment flag cleared, window byte added). */
function stripContentSize(frame: Buffer): Buffer {
  const descriptor = frame[4] as number;
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : ([0, 2, 4, 8][fcsFlag] as number);
  const dictSize = [0, 1, 2, 4][descriptor & 3] as number;
  const headerEnd = 5 + (singleSegment ? 0 : 1) + dictSize + fcsSize;
  // New descriptor: no FCS, not single-segment (so a Window_Descriptor byte is required).
  const newDescriptor = descriptor & 0b0001_1111 & ~0b0010_0000;
  const window = Buffer.from([0x58]); // 2^(10 + 11) = 2 MiB window
  const dict = frame.subarray(5 + (singleSegment ? 0 : 1), 5 + (singleSegment ? 0 : 1) + dictSize);
  return Buffer.concat([
    frame.subarray(0, 4),
    Buffer.from([newDescriptor]),
    window,
    dict,
    frame.subarray(headerEnd),
  ]);
}

import { describe, expect, it } from 'vitest';
import { ManifestError } from '../errors.js';
import { FORMAT, type Manifest, parseManifest, serializeManifest, storedBytes } from './manifest.js';

const hash = 'f'.repeat(64);
const valid: Manifest = {
  format: FORMAT,
  kind: 'update',
  id: '000001763700000000-abcdef012345',
  repository: 'acme/app',
  scope: 'refs/heads/main',
  version: 'a'.repeat(64),
  key: 'deps',
  createdAt: '2026-11-21T06:00:00.000Z',
  paths: ['~/.ccache'],
  compression: 'zstd',
  rawBytes: 300,
  items: 3,
  packs: [
    { id: 'base1', type: 'base', bytes: 100, createdAt: '2026-11-20T06:00:00.000Z' },
    { id: 'delta1', type: 'delta-archive', bytes: 40, createdAt: '2026-11-21T06:00:00.000Z' },
  ],
  chunks: [
    [hash, 200, 0, 0, 100],
    [hash, 100, 1, 0, 40],
  ],
};

describe('manifest', () => {
  it('round-trips', () => {
    expect(parseManifest(serializeManifest(valid))).toEqual(valid);
    expect(storedBytes(valid)).toBe(140);
    expect(storedBytes(valid, 'delta-archive')).toBe(40);
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['wrong format', JSON.stringify({ ...valid, format: 's3cache/0' }), /format/],
    [
      'chunk outside its pack',
      JSON.stringify({
        ...valid,
        chunks: [
          [hash, 200, 0, 90, 20],
          [hash, 100, 1, 0, 40],
        ],
      }),
      /outside pack/,
    ],
    ['unknown pack', JSON.stringify({ ...valid, chunks: [[hash, 300, 5, 0, 10]] }), /not listed/],
    ['lengths that do not add up', JSON.stringify({ ...valid, rawBytes: 301 }), /add up/],
    [
      'oversized chunk',
      JSON.stringify({ ...valid, rawBytes: 2 ** 30, chunks: [[hash, 2 ** 30, 0, 0, 100]] }),
      /chunks/,
    ],
    ['forged hash', JSON.stringify({ ...valid, chunks: [['xyz', 300, 0, 0, 100]] }), /sha256/],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parseManifest(text)).toThrow(ManifestError);
    expect(() => parseManifest(text)).toThrow(message);
  });
});

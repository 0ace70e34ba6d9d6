import { z } from 'zod';
import { ManifestError } from '../errors.js';

export const FORMAT = 's3cache/1';
/** Upper bound on one chunk's raw size: a hostile manifest cannot make us allocate more per chunk. */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

export type PackType = 'base' | 'delta-archive';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest');
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const packSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  type: z.enum(['base', 'delta-archive']),
  bytes: count,
  /** When the pack was written: lifecycle expires it by age, so a save rebases before that. */
  createdAt: z.iso.datetime(),
});

/** A chunk as a compact tuple: [sha256 of raw bytes, raw length, pack index, offset, stored length]. */
const chunkSchema = z.tuple([hex64, count.max(MAX_CHUNK_BYTES), count, count, count.min(1)]);

export const manifestSchema = z.object({
  format: z.literal(FORMAT),
  /** `base`: the entry root (first write wins). `update`: a later generation (delta or rebase). */
  kind: z.enum(['base', 'update']),
  /** Unique id of this generation. */
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  repository: z.string().min(3),
  scope: z.string().min(1),
  version: hex64,
  key: z.string().min(1).max(512),
  createdAt: z.iso.datetime(),
  paths: z.array(z.string()),
  compression: z.literal('zstd'),
  /** Length of the tar stream (sum of raw chunk lengths). */
  rawBytes: count,
  /** Number of files, directories and links archived. */
  items: count,
  packs: z.array(packSchema).min(1),
  chunks: z.array(chunkSchema),
  /** For updates: the generation the delta was computed against. */
  parent: z.string().optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ChunkTuple = Manifest['chunks'][number];
export type PackRef = Manifest['packs'][number];

export interface Chunk {
  hash: string;
  rawLength: number;
  pack: number;
  offset: number;
  length: number;
}

export function chunkOf(tuple: ChunkTuple): Chunk {
  const [hash, rawLength, pack, offset, length] = tuple;
  return { hash, rawLength, pack, offset, length };
}

/**
 * Parses and checks a manifest. Beyond the schema, every chunk must lie inside its pack and the
 * raw lengths must add up: a manifest is input from the network and may be hostile.
 */
export function parseManifest(bytes: Buffer | string, source = 'manifest'): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (err) {
    throw new ManifestError(`${source}: not valid JSON`, { cause: err });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ManifestError(`${source}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  const manifest = parsed.data;
  let raw = 0;
  for (const [index, [, rawLength, pack, offset, length]] of manifest.chunks.entries()) {
    const packRef = manifest.packs[pack];
    if (!packRef)
      throw new ManifestError(`${source}: chunk ${index} names pack ${pack}, which is not listed`);
    if (offset + length > packRef.bytes) {
      throw new ManifestError(`${source}: chunk ${index} lies outside pack ${packRef.id}`);
    }
    raw += rawLength;
  }
  if (raw !== manifest.rawBytes) {
    throw new ManifestError(`${source}: chunk lengths add up to ${raw}, manifest says ${manifest.rawBytes}`);
  }
  return manifest;
}

export function serializeManifest(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest)}\n`, 'utf8');
}

/** Bytes stored in packs of the given type that this manifest references. */
export function storedBytes(manifest: Manifest, type?: PackType): number {
  let total = 0;
  for (const [, , pack, , length] of manifest.chunks) {
    if (type === undefined || manifest.packs[pack]?.type === type) total += length;
  }
  return total;
}

import {
  type BigIntStats,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readlinkSync,
  readSync,
} from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ResolvedItem } from '../paths/resolve.js';
import { BLOCK, padded, prepareHeader, writeHeader } from './encode.js';
import { ArchivePackError } from './errors.js';
import { buildHeader, type MtimePrecision, type TarHeader } from './header.js';
import { readExactly } from './streams.js';

export { ArchivePackError } from './errors.js';
export type { MtimePrecision } from './header.js';

export interface PackOptions {
  /** Told about items skipped or altered while archiving (vanished, changed size). */
  onWarning?: (message: string) => void;
  /** Default `second`. */
  mtimePrecision?: MtimePrecision;
}

// O_NOFOLLOW: if a file was swapped for a symlink after resolving, we must not archive whatever
// it points at. Not defined on Windows, where there is nothing to add.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);
// Small files are opened without an lstat first (see packSmallFile), so whatever is there now
// gets opened: O_NONBLOCK keeps a FIFO from blocking the open, O_NOCTTY a terminal from
// becoming ours. GNU tar opens every file with the same flags; for a regular file they change
// nothing.
const SMALL_OPEN_FLAGS = OPEN_FLAGS | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** Regular files up to this size are read whole, with synchronous calls (packSmallFile). */
const SMALL_FILE_BYTES = 256 * 1024;
/** Size of the buffers the stream hands out; entries are batched into them. */
const BATCH_BYTES = 1024 * 1024;
/** A large file's body is read this much at a time into a reused buffer (one thread-pool job). */
const LARGE_READ_BYTES = 1024 * 1024;
const END_OF_ARCHIVE = 2 * BLOCK;

/**
 * A POSIX (ustar + pax) tar of `items`, in the order given. Files are read from disk chunk by
 * chunk as the consumer pulls, except small ones (up to 256 KiB), which are read whole;
 * directories and symlinks are stored as such, symlinks never followed. Metadata is read when
 * each entry is written, so the archive reflects the disk at that moment. Destroying the
 * returned stream stops the reading.
 *
 * Entries are batched into buffers of about 1 MiB, so the consumer sees few large chunks rather
 * than a header, a body and a padding per file. Large file bodies are passed on chunk by chunk.
 *
 * Failures: an item that vanished or became a special file is skipped with a warning; any other
 * read error destroys the stream with an ArchivePackError (an incomplete cache is worse than none).
 */
export function createTarStream(items: readonly ResolvedItem[], opts: PackOptions = {}): Readable {
  // Readable.from pulls from the generator only on demand: backpressure is preserved, and
  // destroying the stream returns the generator, which closes any open file. A stream reads
  // ahead of its consumer, so every piece needs a buffer of its own.
  return Readable.from(tarPieces(items, { ...opts, reuseBuffers: false }), { objectMode: false });
}

export interface TarPiecesOptions extends PackOptions {
  /**
   * The consumer is done with each piece before it asks for the next one (it copies it, say):
   * the same few buffers are then written over and over instead of a fresh one per megabyte,
   * which spares the allocations, their page faults and the garbage collections they drive.
   */
  reuseBuffers?: boolean;
}

/**
 * The archive createTarStream streams, as the generator beneath it: pieces are read only when
 * asked for, and returning the generator closes any open file.
 */
export async function* tarPieces(
  items: readonly ResolvedItem[],
  opts: TarPiecesOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const precision = opts.mtimePrecision ?? 'second';
  const warn = opts.onWarning ?? (() => {});
  const reuse = opts.reuseBuffers ?? false;
  const out = new Batches(reuse);
  // One buffer for every large file's body, read straight into and handed on.
  const body = reuse ? Buffer.allocUnsafe(LARGE_READ_BYTES) : undefined;
  for (const item of items) {
    // Every file is tried as a small one: its size is learnt from the descriptor it is read by.
    if (item.type !== 'file' || !packSmallFile(out, item, precision, warn)) {
      const largeFile = packMetadata(out, item, precision, warn);
      if (largeFile) yield* packLargeFile(out, item, precision, warn, body);
    }
    if (out.ready.length > 0) yield* out.take();
  }
  out.zeros(END_OF_ARCHIVE);
  out.seal();
  yield* out.take();
}

/**
 * Archives a small regular file, read into the output with synchronous calls: for a file of a
 * few KiB the thread-pool round trip of each asynchronous call costs more than the call itself.
 * The same sequence as GNU tar, less its lstat: open with O_NOFOLLOW refuses a symlink, and
 * fstat on the descriptor tells what was opened.
 *
 * Returns false when the item is not a small regular file (a larger one, or no longer a file) or
 * cannot be opened for another reason: it is then archived the general way (packMetadata), which
 * says what it is and reports any error as before.
 */
function packSmallFile(
  out: Batches,
  item: ResolvedItem,
  precision: MtimePrecision,
  warn: (message: string) => void,
): boolean {
  let fd: number;
  try {
    fd = openSync(item.path, SMALL_OPEN_FLAGS);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    warn(`skipping ${item.name}: removed before it was archived`);
    return true;
  }
  try {
    const before = readGuard(item, () => fstatSync(fd, { bigint: true }));
    if (!before.isFile() || before.size > BigInt(SMALL_FILE_BYTES)) return false;
    const size = Number(before.size);
    const header = prepareHeader(fileHeader(item, before, precision));
    const target = out.reserve(header.length + padded(size));
    let at = out.used;
    writeHeader(header, target, at);
    at += header.length;
    let copied = 0;
    while (copied < size) {
      const read = readGuard(item, () => readSync(fd, target, at + copied, size - copied, copied));
      if (read <= 0) break;
      copied += read;
    }
    // A file that shrank is padded with zeros, as packLargeFile does; then the block padding.
    target.fill(0, at + copied, at + padded(size));
    const after = readGuard(item, () => fstatSync(fd, { bigint: true }));
    out.commit(header.length + padded(size));
    const changed = changeWarning(item, size, copied, before, after);
    if (changed) warn(changed);
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Archives a directory or symlink, or skips what is gone or not archivable. Returns true for a
 * regular file, which packLargeFile streams.
 */
function packMetadata(
  out: Batches,
  item: ResolvedItem,
  precision: MtimePrecision,
  warn: (message: string) => void,
): boolean {
  let stats: BigIntStats | undefined;
  try {
    stats = lstatSync(item.path, { bigint: true, throwIfNoEntry: false });
  } catch (err) {
    throw new ArchivePackError('cannot stat item to archive', item.path, { cause: err });
  }
  if (!stats) {
    warn(`skipping ${item.name}: removed before it was archived`);
    return false;
  }
  const base = { name: item.name, mode: Number(stats.mode), mtimeNs: stats.mtimeNs, size: 0 };
  if (stats.isDirectory()) {
    out.header(buildHeader({ ...base, type: 'directory' }, precision));
  } else if (stats.isSymbolicLink()) {
    const linkname = readGuard(item, () => readlinkSync(item.path));
    out.header(buildHeader({ ...base, type: 'symlink', linkname }, precision));
  } else if (stats.isFile()) {
    return true;
  } else {
    warn(`skipping ${item.name}: not a regular file, directory or symbolic link`);
  }
  return false;
}

/**
 * Streams a regular file chunk by chunk as the consumer pulls: memory stays bounded. Read into
 * `reused` when given (see TarPiecesOptions.reuseBuffers), else into a fresh buffer per read.
 */
async function* packLargeFile(
  out: Batches,
  item: ResolvedItem,
  precision: MtimePrecision,
  warn: (message: string) => void,
  reused: Buffer | undefined,
): AsyncGenerator<Buffer, void, undefined> {
  let handle: FileHandle;
  try {
    handle = await open(item.path, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') {
      warn(
        `skipping ${item.name}: ${code === 'ENOENT' ? 'removed' : 'replaced by a symlink'} before it was read`,
      );
      return;
    }
    throw new ArchivePackError('cannot open file to archive', item.path, { cause: err });
  }
  try {
    // Metadata from the open descriptor, not the path: the header describes what we will read.
    const before = await guard(item, () => handle.stat({ bigint: true }));
    if (!before.isFile()) {
      warn(`skipping ${item.name}: no longer a regular file`);
      return;
    }
    const size = Number(before.size);
    out.header(fileHeader(item, before, precision));
    out.seal();
    yield* out.take();
    const copied = yield* readExactly(
      (buffer, position) =>
        guard(item, async () => (await handle.read(buffer, 0, buffer.length, position)).bytesRead),
      size,
      reused ? { reuse: reused } : {},
    );
    out.zeros(padded(size) - size);

    const after = await guard(item, () => handle.stat({ bigint: true }));
    const changed = changeWarning(item, size, copied, before, after);
    if (changed) warn(changed);
  } finally {
    await handle.close();
  }
}

function fileHeader(item: ResolvedItem, stats: BigIntStats, precision: MtimePrecision): TarHeader {
  return buildHeader(
    {
      name: item.name,
      type: 'file',
      mode: Number(stats.mode),
      mtimeNs: stats.mtimeNs,
      size: Number(stats.size),
    },
    precision,
  );
}

/** What to say about a file that changed while it was read, if it did. */
function changeWarning(
  item: ResolvedItem,
  size: number,
  copied: number,
  before: BigIntStats,
  after: BigIntStats,
): string | undefined {
  if (copied < size) {
    return `${item.name} shrank from ${size} to ${copied} bytes while being archived; padded with zeros`;
  }
  if (after.size > before.size) {
    return `${item.name} grew while being archived; only its first ${size} bytes were stored`;
  }
  if (after.mtimeNs !== before.mtimeNs) {
    return `${item.name} changed while being archived; the stored content may be inconsistent`;
  }
  return undefined;
}

/**
 * The archive bytes on their way out: written into a buffer of BATCH_BYTES until the next entry
 * does not fit, which seals the batch into `ready`. The generator hands ready batches on after
 * each item, so at most about one batch plus one small entry is held here.
 */
class Batches {
  readonly ready: Buffer[] = [];
  private buffer: Buffer = Buffer.allocUnsafe(BATCH_BYTES);
  private start = 0;
  /** End of what has been written into `buffer`. */
  used = 0;
  /** Full buffers whose pieces are still in `ready`, or handed on and not yet consumed. */
  private retired: Buffer[] = [];
  /** Buffers free to be written again (reuse only). */
  private readonly spare: Buffer[] = [];

  /** `reuse`: see TarPiecesOptions.reuseBuffers. */
  constructor(private readonly reuse: boolean) {}

  /** The buffer to write `bytes` contiguous bytes into, at `used`; commit them afterwards. */
  reserve(bytes: number): Buffer {
    if (this.used + bytes > this.buffer.length) {
      this.seal();
      if (this.reuse) this.retired.push(this.buffer);
      const spare = this.spare.findIndex((buffer) => buffer.length >= bytes);
      // Without reuse every batch gets a fresh buffer: the consumer may still hold the old ones.
      this.buffer =
        spare >= 0
          ? (this.spare.splice(spare, 1)[0] as Buffer)
          : Buffer.allocUnsafe(Math.max(BATCH_BYTES, bytes));
      this.start = 0;
      this.used = 0;
    }
    return this.buffer;
  }

  commit(bytes: number): void {
    this.used += bytes;
  }

  header(header: TarHeader): void {
    const prepared = prepareHeader(header);
    writeHeader(prepared, this.reserve(prepared.length), this.used);
    this.commit(prepared.length);
  }

  zeros(bytes: number): void {
    this.reserve(bytes).fill(0, this.used, this.used + bytes);
    this.commit(bytes);
  }

  /** Makes what was written so far ready; later writes continue in the rest of the buffer. */
  seal(): void {
    if (this.used === this.start) return;
    this.ready.push(this.buffer.subarray(this.start, this.used));
    this.start = this.used;
  }

  /**
   * The ready pieces, to be handed on before anything else is written: with reuse, the buffers
   * they fill are written again once the consumer asks for what follows them.
   */
  take(): Buffer[] {
    this.spare.push(...this.retired.splice(0));
    return this.ready.splice(0);
  }
}

/** Runs a synchronous file system call for `item`, turning its failure into an ArchivePackError. */
function readGuard<T>(item: ResolvedItem, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new ArchivePackError('cannot read item to archive', item.path, { cause: err });
  }
}

/** Runs a file system call for `item`, turning its failure into an ArchivePackError. */
async function guard<T>(item: ResolvedItem, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new ArchivePackError('cannot read item to archive', item.path, { cause: err });
  }
}

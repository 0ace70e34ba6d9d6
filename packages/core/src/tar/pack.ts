import { type BigIntStats, closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { type FileHandle, lstat, open, readlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import type { ResolvedItem } from '../paths/resolve.js';
import { ArchivePackError } from './errors.js';
import { buildHeader, type MtimePrecision, type TarHeader } from './header.js';
import { copyExactly, writeChunk } from './streams.js';

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

/**
 * A POSIX (ustar + pax) tar of `items`, in the order given. Files are read from disk chunk by
 * chunk as the consumer pulls, except small ones (up to 256 KiB), which are read whole;
 * directories and symlinks are stored as such, symlinks never followed. Metadata is read when
 * each entry is written, so the archive reflects the disk at that moment. Destroying the
 * returned stream stops the reading.
 *
 * Failures: an item that vanished or became a special file is skipped with a warning; any other
 * read error destroys the stream with an ArchivePackError (an incomplete cache is worse than none).
 */
export function createTarStream(items: readonly ResolvedItem[], opts: PackOptions = {}): Readable {
  const pack = tar.pack();
  const precision = opts.mtimePrecision ?? 'second';
  const warn = opts.onWarning ?? (() => {});
  void (async () => {
    for (const item of items) {
      // Small files are read whole with synchronous calls (see readSmallFile); the rest streams.
      const small =
        item.type === 'file' && item.size <= SMALL_FILE_BYTES ? readSmallFile(item, precision) : undefined;
      for (const message of small?.warnings ?? []) warn(message);
      if (small?.header) await addEntry(pack, small.header, small.body);
      else if (!small?.skip) await writeEntry(pack, item, precision, warn);
    }
  })().then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  // tar-stream's pack is a streamx stream; expose a genuine Node Readable (pulling from it only on
  // demand, so backpressure is preserved) so that any Node stream consumer works with it.
  return Readable.from(pack, { objectMode: false });
}

async function writeEntry(
  pack: tar.Pack,
  item: ResolvedItem,
  precision: MtimePrecision,
  warn: (message: string) => void,
): Promise<void> {
  const stats = await statOrSkip(item, warn);
  if (!stats) return;
  const base = { name: item.name, mode: Number(stats.mode), mtimeNs: stats.mtimeNs, size: 0 };
  if (stats.isDirectory()) {
    await addEntry(pack, buildHeader({ ...base, type: 'directory' }, precision));
  } else if (stats.isSymbolicLink()) {
    const linkname = await guard(item, () => readlink(item.path));
    await addEntry(pack, buildHeader({ ...base, type: 'symlink', linkname }, precision));
  } else if (stats.isFile()) {
    await addFile(pack, item, precision, warn);
  } else {
    warn(`skipping ${item.name}: not a regular file, directory or symbolic link`);
  }
}

async function addFile(
  pack: tar.Pack,
  item: ResolvedItem,
  precision: MtimePrecision,
  warn: (message: string) => void,
): Promise<void> {
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
    const header = buildHeader(
      { name: item.name, type: 'file', mode: Number(before.mode), mtimeNs: before.mtimeNs, size },
      precision,
    );
    let finish: (err?: Error | null) => void = () => {};
    const finished = new Promise<void>((resolve, reject) => {
      finish = (err) => (err ? reject(err) : resolve());
    });
    finished.catch(() => {}); // observed below; a failed copy must not also raise an unhandled rejection
    const sink = pack.entry(header, (err) => finish(err));
    const copied = await copyExactly(
      (buffer, position) =>
        guard(item, async () => (await handle.read(buffer, 0, buffer.length, position)).bytesRead),
      size,
      (chunk) => writeChunk(sink, chunk),
    );
    sink.end(undefined);
    await finished;

    const after = await guard(item, () => handle.stat({ bigint: true }));
    const changed = changeWarning(item, size, copied, before, after);
    if (changed) warn(changed);
  } finally {
    await handle.close();
  }
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

/** Regular files up to this size are read whole (readSmallFile). */
const SMALL_FILE_BYTES = 256 * 1024;

/**
 * A small file read into memory: its entry (`header` and `body`), or `skip` when it is to be
 * left out, with the warnings to give; neither when it is no longer a small regular file and
 * is archived the ordinary way (writeEntry).
 */
interface SmallFile {
  header?: TarHeader;
  body?: Buffer;
  skip?: boolean;
  warnings: string[];
}

/**
 * addFile's checks and messages, for a small file read whole into memory, with synchronous
 * calls: for a file of a few KiB the thread-pool round trip of each asynchronous call costs more
 * than the call itself, and half a dozen of them one after the other made archiving 50,000
 * small files take 300 µs per file (tar: 20 µs).
 */
function readSmallFile(item: ResolvedItem, precision: MtimePrecision): SmallFile {
  const skip = (message: string): SmallFile => ({ skip: true, warnings: [message] });
  let stats: BigIntStats | undefined;
  try {
    stats = lstatSync(item.path, { bigint: true, throwIfNoEntry: false });
  } catch (err) {
    throw new ArchivePackError('cannot stat item to archive', item.path, { cause: err });
  }
  if (!stats) return skip(`skipping ${item.name}: removed before it was archived`);
  if (!stats.isFile() || stats.size > BigInt(SMALL_FILE_BYTES)) return { warnings: [] };
  let fd: number;
  try {
    fd = openSync(item.path, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') {
      return skip(
        `skipping ${item.name}: ${code === 'ENOENT' ? 'removed' : 'replaced by a symlink'} before it was read`,
      );
    }
    throw new ArchivePackError('cannot open file to archive', item.path, { cause: err });
  }
  const sync = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw new ArchivePackError('cannot read item to archive', item.path, { cause: err });
    }
  };
  try {
    const before = sync(() => fstatSync(fd, { bigint: true }));
    if (!before.isFile()) return skip(`skipping ${item.name}: no longer a regular file`);
    const size = Number(before.size);
    if (size > SMALL_FILE_BYTES) return { warnings: [] };
    const body = Buffer.allocUnsafe(size);
    let copied = 0;
    while (copied < size) {
      const read = sync(() => readSync(fd, body, copied, size - copied, copied));
      if (read <= 0) break;
      copied += read;
    }
    body.fill(0, copied); // a file that shrank is padded, as addFile does
    const after = sync(() => fstatSync(fd, { bigint: true }));
    const changed = changeWarning(item, size, copied, before, after);
    const header = buildHeader(
      { name: item.name, type: 'file', mode: Number(before.mode), mtimeNs: before.mtimeNs, size },
      precision,
    );
    return { header, body, warnings: changed ? [changed] : [] };
  } finally {
    closeSync(fd);
  }
}

async function statOrSkip(
  item: ResolvedItem,
  warn: (message: string) => void,
): Promise<BigIntStats | undefined> {
  try {
    return await lstat(item.path, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      warn(`skipping ${item.name}: removed before it was archived`);
      return undefined;
    }
    throw new ArchivePackError('cannot stat item to archive', item.path, { cause: err });
  }
}

/**
 * Adds an entry whose body (if any) is in memory: a directory, a symlink, a small file. Waits
 * until tar-stream has written it.
 */
function addEntry(pack: tar.Pack, header: TarHeader, body?: Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (body) pack.entry(header, body, done);
    else pack.entry(header, done);
  });
}

/** Runs a file system call for `item`, turning its failure into an ArchivePackError. */
async function guard<T>(item: ResolvedItem, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new ArchivePackError('cannot read item to archive', item.path, { cause: err });
  }
}

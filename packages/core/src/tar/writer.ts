import type { Stats } from 'node:fs';
import {
  closeSync,
  constants,
  fchmodSync,
  futimesSync,
  lstatSync,
  openSync,
  unlinkSync,
  writevSync,
} from 'node:fs';
import {
  chmod,
  type FileHandle,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  rmdir,
  symlink,
  unlink,
  utimes,
} from 'node:fs/promises';
import path from 'node:path';
import { toArchiveName } from '../paths/names.js';
import { ArchiveExtractError, UnsafeArchiveError } from './errors.js';
import type { ExtractPolicy, MemberPlan } from './policy.js';

export interface ExtractStats {
  files: number;
  directories: number;
  symlinks: number;
  hardlinks: number;
  /** Bytes of file content written. */
  bytes: number;
}

// O_EXCL after removing whatever was there: if anything (a symlink above all) reappears at the
// target in between, open fails instead of following it. O_NOFOLLOW is belt and braces.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Puts admitted members on disk without ever writing through a symlink.
 *
 * The policy guarantees each target is lexically inside a root; this class guarantees the path
 * to it is physically what it looks like: every existing component from the root down to the
 * target's parent is a real directory (checked with lstat), and whatever exists at the target
 * itself is removed rather than followed. Components above the root (the workspace, `~`) are the
 * user's own and are used as they are.
 *
 * Not defended: another process racing us on the same tree between the check and the write
 * (Node has no openat); extraction is not a sandbox against local attackers.
 */
export class SafeWriter {
  readonly stats: ExtractStats = { files: 0, directories: 0, symlinks: 0, hardlinks: 0, bytes: 0 };
  /** Directories checked (or created) in this run: saves an lstat per component per member. */
  private readonly realDirs = new Set<string>();
  /** Regular files written in this run: the only valid hardlink targets. */
  private readonly files = new Set<string>();
  /** Directory mode and mtime, applied at the end so later members cannot disturb them. */
  private readonly deferred = new Map<string, { mode: number; mtime: number; name: string }>();
  private readonly preparedRoots = new Set<string>();

  constructor(
    private readonly policy: ExtractPolicy,
    private readonly warn: (message: string) => void,
  ) {}

  async write(plan: MemberPlan, body: AsyncIterable<unknown>): Promise<void> {
    switch (plan.kind) {
      case 'file':
        return this.writeFile(plan, body);
      case 'directory':
        return this.writeDirectory(plan);
      case 'symlink':
        return this.writeSymlink(plan);
      case 'hardlink':
        return this.writeHardlink(plan);
    }
  }

  /** Applies directory modes and mtimes, deepest first (a child's update touches its parent). */
  async finish(): Promise<void> {
    const directories = [...this.deferred.entries()].sort(([a], [b]) => b.length - a.length);
    for (const [directory, meta] of directories) {
      try {
        const stats = await lstat(directory);
        if (!stats.isDirectory()) continue;
        await chmod(directory, meta.mode);
        await utimes(directory, meta.mtime, meta.mtime);
      } catch (err) {
        // Not worth failing a restore over (e.g. a pre-existing directory owned by someone else).
        this.warn(`cannot restore mode/mtime of ${meta.name}: ${(err as Error).message}`);
      }
    }
    this.deferred.clear();
  }

  private async writeFile(plan: MemberPlan, body: AsyncIterable<unknown>): Promise<void> {
    // Pieces arrive chunk by chunk (~32 KiB) and are written a MiB at a time. A file that fits
    // in the first MiB, as most files of a cache do, is written with synchronous calls: six
    // thread-pool round trips per file, one after the other, held restores of many small files
    // to a few thousand files per second (tar -x does over ten times that).
    await this.prepare(plan);
    const pieces = body[Symbol.asyncIterator]();
    const first = await gather(pieces);
    if (first.done) {
      this.writeWholeFile(plan, first.batch);
      this.stats.bytes += first.bytes;
    } else {
      const handle = await open(plan.target, CREATE_FLAGS, 0o600);
      let complete = false;
      try {
        for (let batch = first; ; batch = await gather(pieces)) {
          await writeAll(handle, batch.batch);
          this.stats.bytes += batch.bytes;
          if (batch.done) break;
        }
        await handle.chmod(plan.mode);
        await handle.utimes(plan.mtime, plan.mtime);
        complete = true;
      } finally {
        await handle.close();
        // A half-written file must not look like restored content.
        if (!complete) await unlink(plan.target).catch(() => {});
      }
    }
    this.files.add(plan.target);
    this.stats.files++;
  }

  /** writeFile for content already in memory: the same calls, made synchronously. */
  private writeWholeFile(plan: MemberPlan, pieces: Uint8Array[]): void {
    const fd = openSync(plan.target, CREATE_FLAGS, 0o600);
    let complete = false;
    try {
      let rest = pieces.filter((p) => p.byteLength > 0);
      while (rest.length > 0) rest = advance(rest, writevSync(fd, rest));
      fchmodSync(fd, plan.mode);
      futimesSync(fd, plan.mtime, plan.mtime);
      complete = true;
    } finally {
      closeSync(fd);
      // A half-written file must not look like restored content.
      if (!complete) {
        try {
          unlinkSync(plan.target);
        } catch {}
      }
    }
  }

  private async writeDirectory(plan: MemberPlan): Promise<void> {
    await this.prepareParents(plan);
    const existing = await this.clearTarget(plan);
    if (!existing) await mkdir(plan.target);
    this.realDirs.add(plan.target);
    this.deferred.set(plan.target, { mode: plan.mode, mtime: plan.mtime, name: plan.name });
    this.stats.directories++;
  }

  private async writeSymlink(plan: MemberPlan): Promise<void> {
    await this.prepare(plan);
    await symlink(plan.linkname ?? '', plan.target);
    // Link times are cosmetic and lutimes is not available everywhere.
    await lutimes(plan.target, plan.mtime, plan.mtime).catch(() => {});
    this.stats.symlinks++;
  }

  private async writeHardlink(plan: MemberPlan): Promise<void> {
    const source = plan.linkTarget ?? '';
    if (!this.files.has(source)) {
      throw new UnsafeArchiveError(
        plan.name,
        'hard link target is not a file extracted earlier from this archive',
      );
    }
    if (source === plan.target) return; // a link to itself: nothing to do, and clearing would lose it
    const stats = await lstatOrUndefined(source);
    if (!stats?.isFile()) {
      throw new UnsafeArchiveError(plan.name, 'hard link target is no longer a regular file');
    }
    await this.prepare(plan);
    await link(source, plan.target);
    this.files.add(plan.target);
    this.stats.hardlinks++;
  }

  /** Parents checked or created, and the target path free. */
  private async prepare(plan: MemberPlan): Promise<void> {
    await this.prepareParents(plan);
    await this.clearTarget(plan);
  }

  /**
   * Makes every directory from the root down to the target's parent exist as a real directory,
   * refusing to go through a symlink. Above the root, missing directories are created normally.
   */
  private async prepareParents(plan: MemberPlan): Promise<void> {
    const { root, target } = plan;
    if (!this.preparedRoots.has(root)) {
      await mkdir(path.dirname(root), { recursive: true });
      this.preparedRoots.add(root);
    }
    if (target === root) return;
    const relative = path.relative(root, path.dirname(target));
    const chain = [root];
    if (relative !== '') {
      let current = root;
      for (const segment of relative.split(path.sep)) {
        current = path.join(current, segment);
        chain.push(current);
      }
    }
    for (const directory of chain) {
      if (this.realDirs.has(directory)) continue;
      const stats = await lstatOrUndefined(directory);
      if (stats?.isSymbolicLink()) {
        throw new UnsafeArchiveError(
          plan.name,
          `'${toArchiveName(this.policy.workspace, directory)}' is a symbolic link; refusing to write through it`,
        );
      }
      if (stats && !stats.isDirectory()) {
        // A file where the archive needs a directory: the archive wins, as on any overwrite.
        await unlink(directory);
        this.forget(directory);
      }
      if (!stats?.isDirectory()) await mkdir(directory);
      this.realDirs.add(directory);
    }
  }

  /**
   * Removes what occupies the target (never following it). An existing directory is kept for a
   * directory member; for anything else it is removed only when empty, like tar does.
   * Returns true when a directory was kept.
   */
  private async clearTarget(plan: MemberPlan): Promise<boolean> {
    // Synchronous: nearly always the answer is "nothing there", and an awaited lstat per member
    // (plus the ENOENT error it builds) cost more than the rest of a small file's restore.
    const stats: Stats | undefined = lstatSync(plan.target, { throwIfNoEntry: false });
    if (!stats) return false;
    if (stats.isDirectory()) {
      if (plan.kind === 'directory') return true;
      try {
        await rmdir(plan.target);
      } catch (err) {
        throw new ArchiveExtractError(`cannot replace a non-empty directory with a ${plan.kind}`, plan.name, {
          cause: err,
        });
      }
    } else {
      await unlink(plan.target);
    }
    this.forget(plan.target);
    return false;
  }

  /** Drops what we knew about a path we just removed (a removed directory was empty). */
  private forget(target: string): void {
    this.realDirs.delete(target);
    this.files.delete(target);
    this.deferred.delete(target);
  }
}

/** Bytes of file content gathered before a write call. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/** Writes every byte of `pieces` at the file position, however many calls the kernel needs. */
async function writeAll(handle: FileHandle, pieces: Uint8Array[]): Promise<void> {
  let rest = pieces.filter((p) => p.byteLength > 0);
  while (rest.length > 0) rest = advance(rest, (await handle.writev(rest)).bytesWritten);
}

/** The pieces left once `written` bytes of them went out. */
function advance(pieces: Uint8Array[], written: number): Uint8Array[] {
  const rest = [...pieces];
  while (rest.length > 0 && written >= (rest[0] as Uint8Array).byteLength) {
    written -= (rest.shift() as Uint8Array).byteLength;
  }
  if (written > 0) rest[0] = (rest[0] as Uint8Array).subarray(written);
  return rest;
}

/** The next pieces of an entry's body, up to WRITE_BATCH_BYTES, and whether the body ended. */
async function gather(
  pieces: AsyncIterator<unknown>,
): Promise<{ batch: Uint8Array[]; bytes: number; done: boolean }> {
  const batch: Uint8Array[] = [];
  let bytes = 0;
  while (bytes < WRITE_BATCH_BYTES) {
    const next = await pieces.next();
    if (next.done) return { batch, bytes, done: true };
    // tar-stream yields Buffers; anything else would be a bug worth failing loudly on.
    if (!(next.value instanceof Uint8Array)) throw new TypeError('archive entry produced a non-binary chunk');
    batch.push(next.value);
    bytes += next.value.byteLength;
  }
  return { batch, bytes, done: false };
}

async function lstatOrUndefined(target: string): Promise<Stats | undefined> {
  try {
    return await lstat(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

import type { Stats } from 'node:fs';
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  futimesSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { type FileHandle, open, unlink } from 'node:fs/promises';
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

// O_EXCL: if anything (a symlink above all) is at the target, open fails instead of following
// it; only then is the target cleared and the open retried. O_NOFOLLOW is belt and braces.
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
 * File system calls are synchronous except for writing large file bodies: each is a single
 * system call on a local disk, and the thread-pool round trip of an asynchronous call cost more
 * than the call itself, which held restores of many small files to a few thousand files per
 * second (tar -x does over ten times that).
 *
 * Not defended: another process racing us on the same tree between the check and the write
 * (Node has no openat); extraction is not a sandbox against local attackers.
 */
export class SafeWriter {
  readonly stats: ExtractStats = { files: 0, directories: 0, symlinks: 0, hardlinks: 0, bytes: 0 };
  /**
   * Directories checked (or created) in this run, each together with every directory from its
   * root down to it: saves an lstat per component per member. An entry leaves the set when its
   * directory is removed, which takes removing (and forgetting) everything inside it first.
   */
  private readonly realDirs = new Set<string>();
  /** Regular files written in this run: the only valid hardlink targets. */
  private readonly files = new Set<string>();
  /** Directory mode and mtime, applied at the end so later members cannot disturb them. */
  private readonly deferred = new Map<string, { mode: number; mtime: number; name: string }>();
  private readonly preparedRoots = new Set<string>();
  /** Read once: the mode bits a file created here loses (reading it is allowed on any thread). */
  private readonly umask = process.umask();

  constructor(
    private readonly policy: ExtractPolicy,
    private readonly warn: (message: string) => void,
  ) {}

  /** A member without content: a directory, symlink or hardlink. */
  writeEntry(plan: MemberPlan): void {
    switch (plan.kind) {
      case 'directory':
        this.writeDirectory(plan);
        break;
      case 'symlink':
        this.writeSymlink(plan);
        break;
      case 'hardlink':
        this.writeHardlink(plan);
        break;
      case 'file':
        throw new TypeError('a file member has content: use writeFile or writeLargeFile');
    }
  }

  /** A regular file whose whole content is in memory (`pieces`, in order). */
  writeFile(plan: MemberPlan, pieces: readonly Uint8Array[]): void {
    this.prepareParents(plan);
    // Created with its mode when the umask leaves it whole, as tar -x does: an fchmod per file
    // was 5% of a restore of 50,000 small files.
    const direct = (plan.mode & this.umask) === 0;
    const fd = this.create(plan, () => openSync(plan.target, CREATE_FLAGS, direct ? plan.mode : 0o600));
    let complete = false;
    let bytes = 0;
    try {
      if (pieces.length === 1) bytes = writeFully(fd, pieces[0] as Uint8Array);
      else if (pieces.length > 1) bytes = writevFully(fd, pieces);
      if (!direct) fchmodSync(fd, plan.mode);
      futimesSync(fd, plan.mtime, plan.mtime);
      complete = true;
    } finally {
      closeSync(fd);
      // A half-written file must not look like restored content.
      if (!complete) removeQuietly(plan.target);
    }
    this.stats.bytes += bytes;
    this.files.add(plan.target);
    this.stats.files++;
  }

  /**
   * A regular file too large to hold in memory, written as `next` supplies its content (an empty
   * batch ends it). Each batch is written before the next is asked for, so the source is read
   * only as fast as the disk accepts the data.
   */
  async writeLargeFile(plan: MemberPlan, next: () => Promise<Uint8Array[]>): Promise<void> {
    this.prepareParents(plan);
    this.clearTarget(plan);
    const handle = await open(plan.target, CREATE_FLAGS, 0o600);
    let complete = false;
    try {
      for (let batch = await next(); batch.length > 0; batch = await next()) {
        await writeAll(handle, batch);
        for (const piece of batch) this.stats.bytes += piece.byteLength;
      }
      await handle.chmod(plan.mode);
      await handle.utimes(plan.mtime, plan.mtime);
      complete = true;
    } finally {
      await handle.close();
      if (!complete) await unlink(plan.target).catch(() => {});
    }
    this.files.add(plan.target);
    this.stats.files++;
  }

  /** Applies directory modes and mtimes, deepest first (a child's update touches its parent). */
  finish(): void {
    const directories = [...this.deferred.entries()].sort(([a], [b]) => b.length - a.length);
    for (const [directory, meta] of directories) {
      try {
        const stats = lstatSync(directory);
        if (!stats.isDirectory()) continue;
        chmodSync(directory, meta.mode);
        utimesSync(directory, meta.mtime, meta.mtime);
      } catch (err) {
        // Not worth failing a restore over (e.g. a pre-existing directory owned by someone else).
        this.warn(`cannot restore mode/mtime of ${meta.name}: ${(err as Error).message}`);
      }
    }
    this.deferred.clear();
  }

  private writeDirectory(plan: MemberPlan): void {
    this.prepareParents(plan);
    const existing = this.clearTarget(plan);
    if (!existing) mkdirSync(plan.target);
    this.realDirs.add(plan.target);
    this.deferred.set(plan.target, { mode: plan.mode, mtime: plan.mtime, name: plan.name });
    this.stats.directories++;
  }

  private writeSymlink(plan: MemberPlan): void {
    this.prepareParents(plan);
    this.create(plan, () => symlinkSync(plan.linkname ?? '', plan.target));
    try {
      // Link times are cosmetic and lutimes is not available everywhere.
      lutimesSync(plan.target, plan.mtime, plan.mtime);
    } catch {}
    this.stats.symlinks++;
  }

  private writeHardlink(plan: MemberPlan): void {
    const source = plan.linkTarget ?? '';
    if (!this.files.has(source)) {
      throw new UnsafeArchiveError(
        plan.name,
        'hard link target is not a file extracted earlier from this archive',
      );
    }
    if (source === plan.target) return; // a link to itself: nothing to do, and clearing would lose it
    const stats = lstatSync(source, { throwIfNoEntry: false });
    if (!stats?.isFile()) {
      throw new UnsafeArchiveError(plan.name, 'hard link target is no longer a regular file');
    }
    this.prepareParents(plan);
    this.create(plan, () => linkSync(source, plan.target));
    this.files.add(plan.target);
    this.stats.hardlinks++;
  }

  /**
   * Runs `make`, which creates the target and fails with EEXIST when something is there: then
   * clears the target (never following it) and tries once more. Nearly always nothing is there,
   * and an lstat per member up front cost about as much as writing a small file.
   */
  private create<T>(plan: MemberPlan, make: () => T): T {
    try {
      return make();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.clearTarget(plan);
    return make();
  }

  /**
   * Makes every directory from the root down to the target's parent exist as a real directory,
   * refusing to go through a symlink. Above the root, missing directories are created normally.
   */
  prepareParents(plan: MemberPlan): void {
    const { root, target } = plan;
    if (target === root) {
      this.prepareRoot(root);
      return;
    }
    const parent = path.dirname(target);
    // Checked together with everything above it (see realDirs): the common case.
    if (this.realDirs.has(parent)) return;
    this.prepareRoot(root);
    const relative = path.relative(root, parent);
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
      const stats = lstatSync(directory, { throwIfNoEntry: false });
      if (stats?.isSymbolicLink()) {
        throw new UnsafeArchiveError(
          plan.name,
          `'${toArchiveName(this.policy.workspace, directory)}' is a symbolic link; refusing to write through it`,
        );
      }
      if (stats && !stats.isDirectory()) {
        // A file where the archive needs a directory: the archive wins, as on any overwrite.
        unlinkSync(directory);
        this.forget(directory);
      }
      if (!stats?.isDirectory()) mkdirSync(directory);
      this.realDirs.add(directory);
    }
  }

  private prepareRoot(root: string): void {
    if (this.preparedRoots.has(root)) return;
    mkdirSync(path.dirname(root), { recursive: true });
    this.preparedRoots.add(root);
  }

  /**
   * Removes what occupies the target (never following it). An existing directory is kept for a
   * directory member; for anything else it is removed only when empty, like tar does.
   * Returns true when a directory was kept.
   */
  private clearTarget(plan: MemberPlan): boolean {
    const stats: Stats | undefined = lstatSync(plan.target, { throwIfNoEntry: false });
    if (!stats) return false;
    if (stats.isDirectory()) {
      if (plan.kind === 'directory') return true;
      try {
        rmdirSync(plan.target);
      } catch (err) {
        throw new ArchiveExtractError(`cannot replace a non-empty directory with a ${plan.kind}`, plan.name, {
          cause: err,
        });
      }
    } else {
      unlinkSync(plan.target);
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

function removeQuietly(target: string): void {
  try {
    unlinkSync(target);
  } catch {}
}

/** Writes every byte of `data`, however many calls the kernel needs; returns its length. */
function writeFully(fd: number, data: Uint8Array): number {
  for (let written = 0; written < data.byteLength; ) {
    written += writeSync(fd, data, written, data.byteLength - written);
  }
  return data.byteLength;
}

/** writeFully for several pieces; returns their total length. */
function writevFully(fd: number, pieces: readonly Uint8Array[]): number {
  let rest = pieces.filter((p) => p.byteLength > 0);
  let total = 0;
  for (const piece of rest) total += piece.byteLength;
  while (rest.length > 0) rest = advance(rest, writevSync(fd, rest));
  return total;
}

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

import path from 'node:path';
import { collapseNested, isWithin } from '../paths/names.js';
import { UnsafeArchiveError } from './errors.js';
import { parsePaxTime } from './header.js';

/*
 * Pure admission rules for archive members: which members may be extracted and where. Everything
 * here is lexical (no file system access); the rules about what already exists on disk (symlinks
 * in the way) live in the extractor. All decisions are made on the normalised absolute target,
 * and only that path is ever handed to the file system, never the raw member name.
 */

const IS_WINDOWS = process.platform === 'win32';

export type MemberKind = 'file' | 'directory' | 'symlink' | 'hardlink';

export interface ExtractPolicy {
  /** Absolute workspace: member names and hardlink targets are relative to it. */
  readonly workspace: string;
  /** Absolute roots, nested ones folded into their ancestors. */
  readonly roots: readonly string[];
}

/** The subset of a member header (parse.ts, in tar-stream's shape) the rules look at. */
export interface MemberHeader {
  name: string;
  type?: string | null | undefined;
  linkname?: string | null;
  mode?: number;
  mtime?: Date;
  pax?: unknown;
}

export interface MemberPlan {
  readonly kind: MemberKind;
  /** The member name as stored, for messages. */
  readonly name: string;
  /** Absolute, normalised destination. */
  readonly target: string;
  /** The root that contains `target`. */
  readonly root: string;
  /** Symlink: the link text to write, verbatim. */
  readonly linkname?: string;
  /** Hardlink: the absolute path of the already-extracted file to link to. */
  readonly linkTarget?: string;
  /** Permission bits to apply (setuid, setgid and sticky dropped). */
  readonly mode: number;
  /** Modification time in seconds (fractional when the archive carried a pax mtime). */
  readonly mtime: number;
}

export function createPolicy(workspace: string, roots: readonly string[]): ExtractPolicy {
  const absoluteWorkspace = path.resolve(workspace);
  return {
    workspace: absoluteWorkspace,
    roots: collapseNested(roots.map((root) => path.resolve(absoluteWorkspace, root))),
  };
}

/** Decides where `header` goes, or throws UnsafeArchiveError naming the member. */
export function planMember(header: MemberHeader, policy: ExtractPolicy): MemberPlan {
  const name = header.name;
  const kind = memberKind(header.type);
  if (!kind) throw new UnsafeArchiveError(name, `unsupported member type '${header.type ?? 'unknown'}'`);

  const target = resolveName(name, policy.workspace, name, 'path');
  const root = rootOf(target, policy);
  if (!root) throw new UnsafeArchiveError(name, escapeReason(name, 'path'));

  const mode = (header.mode ?? (kind === 'directory' ? 0o755 : 0o644)) & 0o777;
  const mtime = memberMtime(header);
  const base = { kind, name, target, root, mode, mtime };

  if (kind === 'symlink') {
    const linkname = header.linkname ?? '';
    checkLinkText(name, linkname);
    // A symlink is resolved relative to the directory it lives in.
    const pointsAt = path.resolve(path.dirname(target), linkname);
    if (!rootOf(pointsAt, policy)) {
      throw new UnsafeArchiveError(name, `symbolic link target '${linkname}' points outside the cache paths`);
    }
    return { ...base, linkname };
  }
  if (kind === 'hardlink') {
    const linkname = header.linkname ?? '';
    checkLinkText(name, linkname);
    // Hardlink targets are member names, relative to the archive root like any other name.
    const linkTarget = resolveName(linkname, policy.workspace, name, 'hard link target');
    if (!rootOf(linkTarget, policy)) {
      throw new UnsafeArchiveError(name, escapeReason(linkname, 'hard link target'));
    }
    return { ...base, linkTarget };
  }
  return base;
}

function memberKind(type: string | null | undefined): MemberKind | undefined {
  switch (type) {
    case 'file':
    case 'contiguous-file': // type 7: a regular file with an allocation hint nobody honours
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return undefined; // devices, FIFOs, unknown type flags
  }
}

/** Validates a member or hardlink name and resolves it against the workspace. */
function resolveName(value: string, workspace: string, member: string, what: string): string {
  if (value === '') throw new UnsafeArchiveError(member, `empty ${what}`);
  if (value.includes('\0')) throw new UnsafeArchiveError(member, `${what} contains a NUL byte`);
  if (isAbsoluteName(value)) throw new UnsafeArchiveError(member, `absolute ${what}`);
  return path.resolve(workspace, value);
}

function checkLinkText(member: string, linkname: string): void {
  if (linkname === '') throw new UnsafeArchiveError(member, 'link without a target');
  if (linkname.includes('\0')) throw new UnsafeArchiveError(member, 'link target contains a NUL byte');
}

function isAbsoluteName(value: string): boolean {
  if (value.startsWith('/')) return true;
  // On Windows `\x`, `C:x` and `C:\x` all leave the workspace; on POSIX they are plain names.
  return IS_WINDOWS && (value.startsWith('\\') || /^[a-zA-Z]:/.test(value) || path.win32.isAbsolute(value));
}

function escapeReason(value: string, what: string): string {
  const segments = value.split(IS_WINDOWS ? /[\\/]/ : '/');
  return segments.includes('..')
    ? `${what} uses '..' to leave the cache paths`
    : `${what} is outside the cache paths`;
}

function rootOf(target: string, policy: ExtractPolicy): string | undefined {
  // Both are normalised absolute paths, so a prefix match settles the common case without
  // path.relative; isWithin decides the rest (the root itself, a root of `/`, Windows casing).
  return policy.roots.find((root) => target.startsWith(root + path.sep) || isWithin(root, target));
}

function memberMtime(header: MemberHeader): number {
  const pax = header.pax;
  if (pax && typeof pax === 'object' && 'mtime' in pax && typeof pax.mtime === 'string') {
    const precise = parsePaxTime(pax.mtime);
    if (precise !== undefined) return precise;
  }
  const ms = header.mtime?.getTime();
  return ms !== undefined && Number.isFinite(ms) ? ms / 1000 : 0;
}

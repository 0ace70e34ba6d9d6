import type { Header } from 'tar-stream';

/**
 * A header in tar-stream's shape (what its `pack.entry` took; encode.ts now writes it, byte for
 * byte as tar-stream did); `pax` holds extra pax records to write.
 */
export type TarHeader = Partial<Omit<Header, 'pax'>> &
  Pick<Header, 'name'> & { pax?: Record<string, string> };

/**
 * `second`: plain ustar headers (smallest archive, what most caches need). `nanosecond`: every
 * entry also carries a pax `mtime` record with the full timestamp, at the cost of ~1 KiB of
 * (highly compressible) header per entry.
 */
export type MtimePrecision = 'second' | 'nanosecond';

export interface EntryMeta {
  /** Archive name without trailing slash. */
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  mtimeNs: bigint;
  /** Body length; only meaningful for files. */
  size: number;
  /** Symlink target, stored byte-for-byte as read from the link. */
  linkname?: string;
}

const USTAR_FIELD = 100;
// The ustar mtime is encoded with `| 0` (as tar-stream did): anything outside int32 would wrap.
const MAX_USTAR_SECONDS = 2 ** 31 - 1;
const NS_PER_SECOND = 1_000_000_000n;

/**
 * The header for one entry. Deterministic: the same metadata always gives the same
 * bytes (uid/gid 0 and empty user/group names, so archives do not depend on who saved them).
 * Names that are long or not plain ASCII go into pax `path`/`linkpath` records, which GNU tar,
 * bsdtar and every POSIX.1-2001 reader honour; we never rely on the ustar prefix split.
 */
export function buildHeader(meta: EntryMeta, precision: MtimePrecision): TarHeader {
  const name = meta.type === 'directory' ? `${meta.name}/` : meta.name;
  const seconds = floorDiv(meta.mtimeNs, NS_PER_SECOND);
  const ustarSeconds = Math.min(Math.max(Number(seconds), 0), MAX_USTAR_SECONDS);
  const header: TarHeader = {
    name,
    type: meta.type,
    // Note: the encoder replaces a mode of exactly 0 by its default (0644/0755), as tar-stream did.
    mode: meta.mode & 0o7777,
    mtime: new Date(ustarSeconds * 1000),
    size: meta.type === 'file' ? meta.size : 0,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
  };
  if (meta.linkname !== undefined) header.linkname = meta.linkname;

  const pax: Record<string, string> = {};
  if (precision === 'nanosecond' || BigInt(ustarSeconds) !== seconds) pax.mtime = paxTime(meta.mtimeNs);
  const needsPax = needsPaxString(name) || (meta.linkname !== undefined && needsPaxString(meta.linkname));
  // Any `pax` object (even empty) makes the encoder emit a pax header with path= and linkpath=.
  if (needsPax || Object.keys(pax).length > 0) header.pax = pax;
  return header;
}

function needsPaxString(value: string): boolean {
  const bytes = Buffer.byteLength(value);
  return bytes > USTAR_FIELD || bytes !== value.length;
}

/** `seconds[.fraction]` as pax wants it, trailing zeros of the fraction dropped. */
export function paxTime(ns: bigint): string {
  const seconds = floorDiv(ns, NS_PER_SECOND);
  const fraction = ns - seconds * NS_PER_SECOND;
  if (fraction === 0n) return seconds.toString();
  return `${seconds}.${fraction.toString().padStart(9, '0').replace(/0+$/, '')}`;
}

/** Parses a pax time record into seconds; undefined when it is not a decimal number. */
export function parsePaxTime(value: string): number | undefined {
  if (!/^-?\d+(\.\d+)?$/.test(value)) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds : undefined;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

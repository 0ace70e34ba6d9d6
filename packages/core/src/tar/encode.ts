import type { TarHeader } from './header.js';

/*
 * Header blocks written straight into the caller's buffer. tar-stream's pack produced the same
 * bytes, but through a stream per entry and three separate buffers (header, body, padding) per
 * file, which cost more than reading the file; the pack now batches whole entries into large
 * buffers itself. Output is kept byte-identical to what tar-stream wrote for buildHeader's
 * headers, so archives (and the chunks deduplicated across them) do not change with the switch.
 */

export const BLOCK = 512;

const TYPEFLAGS: Record<string, number> = {
  file: 0x30,
  link: 0x31,
  symlink: 0x32,
  'character-device': 0x33,
  'block-device': 0x34,
  directory: 0x35,
  fifo: 0x36,
  'contiguous-file': 0x37,
};
const PAX_TYPEFLAG = 0x78; // 'x'
const PAX_NAME = 'PaxHeader';
const USTAR_FIELD = 100;
const USTAR_MAGIC = 'ustar\u000000';

/** A header ready to be written: its fields settled and its total length known. */
export interface PreparedHeader {
  readonly name: string;
  readonly typeflag: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtimeSeconds: number;
  readonly linkname: string;
  readonly uname: string;
  readonly gname: string;
  /** pax extended header records, when the entry needs them. */
  readonly pax: Buffer | undefined;
  /** Bytes the header takes before the entry's body. */
  readonly length: number;
}

/**
 * Settles `header` the way tar-stream's `pack.entry` did (default mode for a mode of 0, no size
 * for body-less types) and encodes its pax records. A name or link target that does not fit a
 * plain ustar field goes into pax records; the ustar prefix field is never used.
 */
export function prepareHeader(header: TarHeader): PreparedHeader {
  const type = header.type ?? 'file';
  const linkname = header.linkname ?? '';
  const pax =
    header.pax !== undefined || !fitsUstar(header.name) || (linkname !== '' && !fitsUstar(linkname))
      ? paxRecords(header.name, linkname, header.pax ?? {})
      : undefined;
  return {
    name: header.name,
    typeflag: TYPEFLAGS[type] ?? 0x30,
    mode: header.mode || (type === 'directory' ? 0o755 : 0o644),
    uid: header.uid || 0,
    gid: header.gid || 0,
    size: !header.size || type === 'symlink' ? 0 : header.size,
    mtimeSeconds: ((header.mtime ?? new Date()).getTime() / 1000) | 0,
    linkname,
    uname: header.uname ?? '',
    gname: header.gname ?? '',
    pax,
    length: pax === undefined ? BLOCK : 2 * BLOCK + padded(pax.length),
  };
}

/** Writes `header.length` bytes at `offset`; `target` must have room for them. */
export function writeHeader(header: PreparedHeader, target: Buffer, offset: number): void {
  if (header.pax === undefined) {
    writeBlock(target, offset, header, header.name, header.linkname, header.typeflag, header.size);
    return;
  }
  // tar-stream names both blocks PaxHeader: readers take the real name from the records.
  const linkname = header.linkname === '' ? '' : PAX_NAME;
  writeBlock(target, offset, header, PAX_NAME, linkname, PAX_TYPEFLAG, header.pax.length);
  const records = offset + BLOCK;
  header.pax.copy(target, records);
  target.fill(0, records + header.pax.length, records + padded(header.pax.length));
  writeBlock(
    target,
    header.length - BLOCK + offset,
    header,
    PAX_NAME,
    linkname,
    header.typeflag,
    header.size,
  );
}

/** `size` rounded up to whole blocks. */
export function padded(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? size : size + BLOCK - rest;
}

function fitsUstar(value: string): boolean {
  // Plain ASCII up to the field width: the length in UTF-16 units is then the length in bytes.
  return value.length <= USTAR_FIELD && Buffer.byteLength(value) === value.length;
}

function paxRecords(name: string, linkname: string, extra: Record<string, string>): Buffer {
  let records = paxRecord('path', name);
  if (linkname !== '') records += paxRecord('linkpath', linkname);
  for (const [key, value] of Object.entries(extra)) records += paxRecord(key, value);
  return Buffer.from(records);
}

/** `<length> <key>=<value>\n`, where the length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  let digits = String(bytes).length;
  if (bytes + digits >= 10 ** digits) digits++;
  return `${bytes + digits}${body}`;
}

function writeBlock(
  target: Buffer,
  at: number,
  fields: PreparedHeader,
  name: string,
  linkname: string,
  typeflag: number,
  size: number,
): void {
  target.fill(0, at, at + BLOCK);
  target.write(name, at, USTAR_FIELD, 'utf8');
  writeOctal(target, at + 100, fields.mode & 0o7777, 6);
  writeOctal(target, at + 108, fields.uid, 6);
  writeOctal(target, at + 116, fields.gid, 6);
  writeSize(target, at + 124, size);
  writeOctal(target, at + 136, fields.mtimeSeconds, 11);
  target[at + 156] = typeflag;
  if (linkname !== '') target.write(linkname, at + 157, USTAR_FIELD, 'utf8');
  target.write(USTAR_MAGIC, at + 257, 8, 'latin1');
  if (fields.uname !== '') target.write(fields.uname, at + 265, 32, 'utf8');
  if (fields.gname !== '') target.write(fields.gname, at + 297, 32, 'utf8');
  writeOctal(target, at + 329, 0, 6); // device major
  writeOctal(target, at + 337, 0, 6); // device minor
  // The checksum counts its own field as eight spaces.
  let sum = 8 * 0x20;
  for (let i = at; i < at + BLOCK; i++) sum += target[i] as number;
  writeOctal(target, at + 148, sum, 6);
}

/** `digits` octal digits and a space; all sevens when the value does not fit (as tar-stream). */
function writeOctal(target: Buffer, at: number, value: number, digits: number): void {
  let text = value.toString(8);
  if (text.length > digits) text = '7'.repeat(digits);
  target.write(text.padStart(digits, '0'), at, digits, 'latin1');
  target[at + digits] = 0x20;
}

/** 11 octal digits, or GNU base-256 for sizes of 8 GiB and more. */
function writeSize(target: Buffer, at: number, size: number): void {
  if (size < 8 ** 11) {
    writeOctal(target, at, size, 11);
    return;
  }
  target[at] = 0x80;
  let rest = size;
  for (let i = 11; i > 0; i--) {
    target[at + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

/*
 * A pull parser for tar streams. It replaces tar-stream's extract, whose stream per entry and
 * promise round trips per chunk cost more than writing a small file: here, members whose data
 * is already buffered are handed over synchronously, bodies as views of the source's chunks.
 *
 * Header semantics are tar-stream's (3.x), on which the extraction rules and their tests were
 * built: ustar and GNU headers, pax and GNU long names, the same fields and type names. Where
 * tar-stream mis-framed a malformed stream (an extension header with a negative or non-numeric
 * size) or stalled on it (a size field in an unknown binary form), this parser rejects it.
 */

const BLOCK = 512;
const END_OF_ARCHIVE = 2 * BLOCK;
/** Largest pax or GNU long-name header accepted (tar-stream's limit). */
const MAX_EXTENSION_BYTES = 4 * 1024 * 1024;

/** A member header, with long names and pax records applied. */
export interface TarEntryHeader {
  name: string;
  /** tar-stream's type names; null for a type flag it does not know. */
  type: string | null;
  linkname: string | null;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  uname: string;
  gname: string;
  /** The pax records that applied to this member, if any. */
  pax: Record<string, string> | null;
}

/** next() needs more data: call fill() and try again. */
export const NEED_MORE = Symbol('need more');
/** The stream ended cleanly. */
export const END = Symbol('end');

export class TarReader {
  private readonly chunks: Buffer[] = [];
  /** Read position in chunks[0]. */
  private offset = 0;
  /** Bytes buffered and not yet consumed. */
  private buffered = 0;
  /** The current member's body bytes not taken yet, then the padding after them. */
  private body = 0;
  private padding = 0;
  private ended = false;
  /** The last END_OF_ARCHIVE bytes of the source, to tell a complete archive from a cut one. */
  private tail: Buffer = Buffer.alloc(0);
  private pax: Record<string, string> | null = null;
  private paxGlobal: Record<string, string> | null = null;
  private gnuLongPath: string | null = null;
  private gnuLongLinkPath: string | null = null;
  /**
   * Why reading stopped, if it did: the source's own error, or a corrupt or truncated stream.
   * Lets the caller tell those apart from a failure to write the member it was handed.
   */
  failure: Error | undefined;

  constructor(private readonly source: AsyncIterator<unknown>) {}

  /** Body bytes of the current member not taken yet. */
  get remaining(): number {
    return this.body;
  }

  /** Reads one more chunk from the source; false once the source has ended. */
  async fill(): Promise<boolean> {
    if (this.ended) return false;
    let next: IteratorResult<unknown>;
    try {
      next = await this.source.next();
    } catch (err) {
      throw this.fail(err instanceof Error ? err : new Error(String(err)));
    }
    if (next.done) {
      this.ended = true;
      // A stream cut at a member boundary parses fine; a real archive always ends with (at
      // least) two zero blocks, so their absence means we did not get the whole archive.
      if (this.tail.length < END_OF_ARCHIVE || this.tail.some((byte) => byte !== 0)) {
        throw this.fail(new Error('truncated archive: no end-of-archive marker'));
      }
      return false;
    }
    const data = next.value;
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as Uint8Array);
    if (chunk.length === 0) return true;
    this.tail = lastBytes(this.tail, chunk, END_OF_ARCHIVE);
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    return true;
  }

  /**
   * The next member's header, from buffered data only. Whatever is left of the previous member's
   * body is skipped first. Throws for a corrupt stream.
   */
  next(): TarEntryHeader | typeof NEED_MORE | typeof END {
    try {
      return this.parseNext();
    } catch (err) {
      throw this.fail(err as Error);
    }
  }

  /** True when `bytes` bytes are buffered. */
  has(bytes: number): boolean {
    return this.buffered >= bytes;
  }

  /** Reads until `bytes` bytes are buffered; throws when the stream ends first. */
  async ensure(bytes: number): Promise<void> {
    while (this.buffered < bytes) {
      if (!(await this.fill())) throw this.fail(new Error('Unexpected end of data'));
    }
  }

  /** The next `bytes` bytes of the current body, which must be buffered: views, not copies. */
  take(bytes: number): Buffer[] {
    if (bytes > this.body || bytes > this.buffered) throw new RangeError('not that many body bytes buffered');
    this.body -= bytes;
    const pieces: Buffer[] = [];
    let left = bytes;
    while (left > 0) {
      const piece = this.shiftUpTo(left);
      pieces.push(piece);
      left -= piece.length;
    }
    return pieces;
  }

  /**
   * Up to `max` bytes of the current body (reading from the source as needed), at least one
   * when any is left; none once the body is done.
   */
  async takeUpTo(max: number): Promise<Buffer[]> {
    if (this.body > 0 && this.buffered === 0) await this.ensure(1);
    return this.take(Math.min(max, this.body, this.buffered));
  }

  private fail(err: Error): Error {
    this.failure ??= err;
    return err;
  }

  private parseNext(): TarEntryHeader | typeof NEED_MORE | typeof END {
    for (;;) {
      if (!this.skipRest()) return this.needMore();
      if (this.buffered < BLOCK) return this.needMore();
      const block = this.peek(BLOCK);
      const header = decodeHeader(block);
      if (header === null) {
        this.consume(BLOCK);
        continue;
      }
      if (isExtension(header.type)) {
        const size = header.size;
        // tar-stream let these through and then mis-framed the rest of the stream.
        if (!(size >= 0)) throw new Error('Invalid header');
        if (size > MAX_EXTENSION_BYTES) throw new Error('Header exceeds max size');
        // Consumed only once it is buffered whole, so that waiting for it needs no extra state.
        if (this.buffered < BLOCK + size) return this.needMore();
        this.consume(BLOCK);
        this.applyExtension(header.type, this.read(size));
        this.padding = overflow(size);
        continue;
      }
      this.consume(BLOCK);
      this.applyPending(header);
      if (!(header.size >= 0)) throw new Error('Invalid header');
      // Like tar-stream, GNU tar and Python: a directory's size announces no body.
      this.body = header.type === 'directory' ? 0 : header.size;
      this.padding = overflow(this.body);
      return header;
    }
  }

  private needMore(): typeof NEED_MORE | typeof END {
    if (!this.ended) return NEED_MORE;
    if (this.buffered === 0 && this.body === 0 && this.padding === 0) return END;
    throw new Error('Unexpected end of data');
  }

  /** Discards what is buffered of the previous body and padding; true once all of it is gone. */
  private skipRest(): boolean {
    while (this.body + this.padding > 0 && this.buffered > 0) {
      const piece = this.shiftUpTo(this.body + this.padding);
      const fromBody = Math.min(piece.length, this.body);
      this.body -= fromBody;
      this.padding -= piece.length - fromBody;
    }
    return this.body + this.padding === 0;
  }

  private applyExtension(type: string, data: Buffer): void {
    switch (type) {
      case 'gnu-long-path':
        this.gnuLongPath = decodeString(data, 0, data.length);
        break;
      case 'gnu-long-link-path':
        this.gnuLongLinkPath = decodeString(data, 0, data.length);
        break;
      case 'pax-global-header':
        this.paxGlobal = decodePax(data);
        break;
      case 'pax-header':
        this.pax =
          this.paxGlobal === null ? decodePax(data) : Object.assign({}, this.paxGlobal, decodePax(data));
        break;
    }
  }

  /** Long names and pax records read before this header apply to it (and only to it). */
  private applyPending(header: TarEntryHeader): void {
    if (this.gnuLongPath) {
      header.name = this.gnuLongPath;
      this.gnuLongPath = null;
    }
    if (this.gnuLongLinkPath) {
      header.linkname = this.gnuLongLinkPath;
      this.gnuLongLinkPath = null;
    }
    if (this.pax) {
      if (this.pax.path) header.name = this.pax.path;
      if (this.pax.linkpath) header.linkname = this.pax.linkpath;
      if (this.pax.size) header.size = Number.parseInt(this.pax.size, 10);
      header.pax = this.pax;
      this.pax = null;
    }
  }

  /** The next `bytes` buffered bytes without consuming them; a copy only when they straddle chunks. */
  private peek(bytes: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length - this.offset >= bytes) return first.subarray(this.offset, this.offset + bytes);
    const copy = Buffer.allocUnsafe(bytes);
    let filled = 0;
    for (let i = 0; filled < bytes; i++) {
      const chunk = this.chunks[i] as Buffer;
      const start = i === 0 ? this.offset : 0;
      filled += chunk.copy(copy, filled, start, Math.min(chunk.length, start + bytes - filled));
    }
    return copy;
  }

  private read(bytes: number): Buffer {
    if (bytes === 0) return Buffer.alloc(0);
    const data = this.peek(bytes);
    this.consume(bytes);
    return data;
  }

  private consume(bytes: number): void {
    let left = bytes;
    while (left > 0) left -= this.shiftUpTo(left).length;
  }

  /** Consumes up to `bytes` bytes from the first buffered chunk and returns them. */
  private shiftUpTo(bytes: number): Buffer {
    const first = this.chunks[0] as Buffer;
    const available = first.length - this.offset;
    if (bytes >= available) {
      const piece = this.offset === 0 ? first : first.subarray(this.offset);
      this.chunks.shift();
      this.offset = 0;
      this.buffered -= available;
      return piece;
    }
    const piece = first.subarray(this.offset, this.offset + bytes);
    this.offset += bytes;
    this.buffered -= bytes;
    return piece;
  }
}

function isExtension(type: string | null): type is string {
  return (
    type === 'pax-header' ||
    type === 'pax-global-header' ||
    type === 'gnu-long-path' ||
    type === 'gnu-long-link-path'
  );
}

function overflow(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

function lastBytes(previous: Buffer, chunk: Buffer, count: number): Buffer {
  if (chunk.length >= count) return chunk.subarray(chunk.length - count);
  const joined = Buffer.concat([previous, chunk]);
  return joined.subarray(Math.max(0, joined.length - count));
}

const USTAR_MAGIC = Buffer.from('ustar\u0000', 'latin1');
const GNU_MAGIC = Buffer.from('ustar ', 'latin1');
const GNU_VERSION = Buffer.from(' \u0000', 'latin1');

/**
 * One 512-byte header block, as tar-stream decodes it; null for a block that is all zeros but
 * for its checksum field (end-of-archive and filler blocks). Throws for a bad checksum or a
 * block that is neither ustar nor GNU.
 */
export function decodeHeader(block: Buffer): TarEntryHeader | null {
  const typeflag = block[156] === 0 ? 0 : (block[156] as number) - 0x30;
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i] as number;
  for (let i = 156; i < BLOCK; i++) sum += block[i] as number;
  if (sum === 8 * 0x20) return null;
  if (sum !== decodeOctal(block, 148, 8)) {
    throw new Error('Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?');
  }
  let name = decodeString(block, 0, 100);
  if (block.compare(USTAR_MAGIC, 0, 6, 257, 263) === 0) {
    if (block[345] !== 0) name = `${decodeString(block, 345, 155)}/${name}`;
  } else if (
    !(block.compare(GNU_MAGIC, 0, 6, 257, 263) === 0 && block.compare(GNU_VERSION, 0, 2, 263, 265) === 0)
  ) {
    throw new Error('Invalid tar header: unknown format.');
  }
  return {
    name,
    type: typeName(typeflag),
    linkname: block[157] === 0 ? null : decodeString(block, 157, 100),
    mode: decodeOctal(block, 100, 8),
    uid: decodeOctal(block, 108, 8),
    gid: decodeOctal(block, 116, 8),
    size: decodeOctal(block, 124, 12),
    mtime: new Date(1000 * decodeOctal(block, 136, 12)),
    uname: decodeString(block, 265, 32),
    gname: decodeString(block, 297, 32),
    pax: null,
  };
}

function typeName(flag: number): string | null {
  switch (flag) {
    case 0:
      return 'file';
    case 1:
      return 'link';
    case 2:
      return 'symlink';
    case 3:
      return 'character-device';
    case 4:
      return 'block-device';
    case 5:
      return 'directory';
    case 6:
      return 'fifo';
    case 7:
      return 'contiguous-file';
    case 72: // 'x'
      return 'pax-header';
    case 55: // 'g'
      return 'pax-global-header';
    case 27: // 'K'
      return 'gnu-long-link-path';
    case 28: // 'L'
    case 30: // 'N'
      return 'gnu-long-path';
    default:
      return null;
  }
}

/** UTF-8 text of a field, up to its first NUL. */
function decodeString(block: Buffer, offset: number, length: number): string {
  let end = offset;
  const limit = offset + length;
  while (end < limit && block[end] !== 0) end++;
  return end === offset ? '' : block.toString('utf8', offset, end);
}

/**
 * A numeric field: base-256 when its first byte has the high bit set, else octal text after
 * optional spaces, up to the next space (tar-stream's reading, NaN for garbage included).
 */
function decodeOctal(block: Buffer, offset: number, length: number): number {
  const limit = offset + length;
  if (((block[offset] as number) & 0x80) !== 0) return decodeBase256(block, offset, limit);
  let start = offset;
  while (start < limit && block[start] === 0x20) start++;
  let end = start;
  while (end < limit && block[end] !== 0x20) end++;
  while (start < end && block[start] === 0) start++;
  if (start === end) return 0;
  // The usual field, digits up to a space or NUL: read directly, as parseInt would read them.
  let value = 0;
  let i = start;
  for (; i < end; i++) {
    const digit = (block[i] as number) - 0x30;
    if (digit < 0 || digit > 7) break;
    value = value * 8 + digit;
  }
  if (i > start) return value;
  return Number.parseInt(block.toString('utf8', start, end), 8);
}

function decodeBase256(block: Buffer, offset: number, limit: number): number {
  const first = block[offset];
  const positive = first === 0x80;
  // tar-stream returned null here, which as a size passed its check and then stalled the stream;
  // NaN fails the size check (the archive is rejected) and reads as no mode bits.
  if (!positive && first !== 0xff) return Number.NaN;
  let sum = 0;
  for (let i = offset + 1; i < limit; i++) {
    const byte = block[i] as number;
    sum = sum * 256 + (positive ? byte : 0xff - byte);
  }
  return positive ? sum : -sum;
}

/** pax records (`<length> <key>=<value>\n`), read as tar-stream reads them. */
function decodePax(data: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  let rest = data;
  while (rest.length > 0) {
    let i = 0;
    while (i < rest.length && rest[i] !== 0x20) i++;
    const length = Number.parseInt(rest.toString('utf8', 0, i), 10);
    if (!length) return result;
    const record = rest.subarray(i + 1, length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals === -1) return result;
    result[record.slice(0, equals)] = record.slice(equals + 1);
    rest = rest.subarray(length);
  }
  return result;
}

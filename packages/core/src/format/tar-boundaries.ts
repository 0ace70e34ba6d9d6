/**
 * Follows a tar stream's headers as bytes go by and reports where entries start, so the chunker
 * can cut there. A file of `minFileBytes` or more then begins a chunk of its own: rewriting one
 * compiler-cache object dirties only that object's chunks instead of every chunk it shares with
 * its neighbours, and the cut positions depend only on the archive's content, so boundaries
 * re-synchronise right after an inserted or removed file.
 *
 * Only what the tar format guarantees is used: 512-byte headers, sizes in octal (or base-256),
 * data padded to 512 bytes, and pax/GNU extension headers that belong to the entry that follows.
 * A stream that is not a tar simply yields no boundaries.
 */
const BLOCK = 512;
const EXTENSION_TYPES = new Set(['x', 'g', 'L', 'K']);

/** What String.prototype.trim strips, among latin1 bytes. */
function isSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d) || byte === 0xa0;
}

/**
 * An octal header field: the text before its first NUL, trimmed, all octal digits. Read byte by
 * byte: decoding each field to a string and matching it cost a fifth of archiving small files.
 */
export function parseOctal(field: Uint8Array): number | undefined {
  let end = field.indexOf(0);
  if (end < 0) end = field.length;
  let start = 0;
  while (start < end && isSpace(field[start] as number)) start++;
  while (end > start && isSpace(field[end - 1] as number)) end--;
  if (start === end) return undefined;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = (field[i] as number) - 0x30;
    if (digit < 0 || digit > 7) return undefined;
    value = value * 8 + digit;
  }
  return value;
}

function parseSize(header: Uint8Array): number | undefined {
  const field = header.subarray(124, 136);
  if (((field[0] as number) & 0x80) !== 0) {
    // base-256 (GNU) for sizes over 8 GiB
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] as number);
    return value;
  }
  return parseOctal(field);
}

/** Also false for the zero blocks that end an archive: their checksum field is empty. */
function checksumOk(header: Uint8Array): boolean {
  const stored = parseOctal(header.subarray(148, 156));
  if (stored === undefined) return false;
  let sum = 8 * 32; // the checksum field counts as spaces
  for (let i = 0; i < 148; i++) sum += header[i] as number;
  for (let i = 156; i < BLOCK; i++) sum += header[i] as number;
  return sum === stored;
}

export class TarBoundaries {
  /** Absolute offset of the next header. */
  private next = 0;
  /** Bytes of a header split across pushes. */
  private partial: Buffer | undefined;
  /** Start of extension headers whose entry has not been seen yet. */
  private pendingStart: number | undefined;
  private done = false;
  private readonly cuts: number[] = [];
  /** [entry start, end of its data) of files of at least largeFileBytes, in stream order. */
  private readonly large: [number, number][] = [];
  private seen = 0;

  constructor(
    private readonly minFileBytes: number,
    private readonly largeFileBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** Feeds the bytes that follow everything fed so far. */
  push(data: Uint8Array): void {
    const base = this.seen;
    this.seen += data.length;
    while (!this.done && this.next < this.seen) {
      const at = this.next - base;
      let header: Uint8Array;
      if (this.partial) {
        const need = BLOCK - this.partial.length;
        this.partial = Buffer.concat([this.partial, data.subarray(0, need)]);
        if (this.partial.length < BLOCK) return;
        header = this.partial;
        this.partial = undefined;
      } else if (at + BLOCK > data.length) {
        this.partial = Buffer.from(data.subarray(at));
        return;
      } else {
        header = data.subarray(at, at + BLOCK);
      }
      this.header(header);
    }
  }

  private header(header: Uint8Array): void {
    const start = this.next;
    if (!checksumOk(header)) {
      this.done = true; // end of archive, or not a tar: no more boundaries
      return;
    }
    const size = parseSize(header) ?? 0;
    const type = String.fromCharCode(header[156] as number);
    this.next = start + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (EXTENSION_TYPES.has(type)) {
      this.pendingStart ??= start;
      return;
    }
    const entryStart = this.pendingStart ?? start;
    this.pendingStart = undefined;
    const isFile = type === '0' || type === '\0' || type === '7';
    if (isFile && size >= this.minFileBytes && entryStart > 0) this.cuts.push(entryStart);
    if (isFile && size >= this.largeFileBytes) this.large.push([entryStart, start + BLOCK + size]);
  }

  /**
   * Whether `offset` lies in a large file's entry (its headers or data). Offsets must not
   * decrease from one call to the next: ranges behind them are dropped.
   */
  inLargeFile(offset: number): boolean {
    while (this.large.length > 0 && (this.large[0] as [number, number])[1] <= offset) this.large.shift();
    const range = this.large[0];
    return range !== undefined && range[0] <= offset;
  }

  /**
   * Offsets below this are settled: no boundary can still appear there. An entry whose
   * extension headers are seen but whose own header is not yet is still open.
   */
  settledUntil(): number {
    if (this.done) return Number.POSITIVE_INFINITY;
    return Math.min(this.pendingStart ?? Number.POSITIVE_INFINITY, this.partial ? this.next : this.seen);
  }

  /** The first boundary in (from, to], if any; boundaries at or before `from` are dropped. */
  nextCut(from: number, to: number): number | undefined {
    while (this.cuts.length > 0 && (this.cuts[0] as number) <= from) this.cuts.shift();
    const cut = this.cuts[0];
    return cut !== undefined && cut <= to ? cut : undefined;
  }
}

/**
 * Prefix-preserving escaping for one path segment: every byte outside [A-Za-z0-9._-] becomes
 * %XX of its UTF-8 encoding. Because each character is escaped independently,
 * encode(a + b) === encode(a) + encode(b), so "keys starting with K" is exactly the S3 prefix
 * listing of encode(K). '/' and '~' are always escaped, which keeps a segment a single path
 * component and leaves '~' free as the truncation marker.
 */
const SAFE = /^[A-Za-z0-9._-]$/;

export function encodeSegment(value: string): string {
  let out = '';
  for (const char of value) {
    if (SAFE.test(char)) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

export function decodeSegment(encoded: string): string {
  return decodeURIComponent(encoded);
}

/** Cut an encoded string to at most maxBytes without splitting a %XX escape or a UTF-8 sequence. */
export function truncateEncoded(encoded: string, maxBytes: number): string {
  if (encoded.length <= maxBytes) return encoded;
  let end = maxBytes;
  // Step back to the start of an escape if we are inside one.
  if (encoded[end - 1] === '%') end -= 1;
  else if (encoded[end - 2] === '%') end -= 2;
  // Step back over UTF-8 continuation bytes (%80-%BF) and the lead byte they belong to, so the
  // prefix still decodes.
  let cut = encoded.slice(0, end);
  while (cut.length >= 3 && /%[89AB][0-9A-F]$/.test(cut)) cut = cut.slice(0, -3);
  if (cut.length >= 3 && /%(C[0-9A-F]|D[0-9A-F]|E[0-9A-F]|F[0-7])$/.test(cut)) cut = cut.slice(0, -3);
  return cut;
}

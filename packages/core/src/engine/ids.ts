import { randomBytes } from 'node:crypto';

/** Sortable, unique generation/pack names: zero-padded epoch milliseconds and 48 random bits. */
export function newId(now: Date): string {
  return `${now.getTime().toString().padStart(15, '0')}-${randomBytes(6).toString('hex')}`;
}

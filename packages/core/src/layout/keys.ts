import { ValidationError } from '../errors.js';

/** actions/cache limits: a key is at most 512 characters with no comma; at most 10 keys in all. */
export const MAX_KEY_LENGTH = 512;
export const MAX_KEYS = 10;

export function validateKey(key: string): void {
  if (key.length > MAX_KEY_LENGTH) {
    throw new ValidationError(
      `Key Validation Error: ${key.slice(0, 40)}... cannot be larger than ${MAX_KEY_LENGTH} characters (it has ${key.length}).`,
    );
  }
  if (key.includes(',')) {
    throw new ValidationError(`Key Validation Error: ${key} cannot contain commas.`);
  }
  if (key.length === 0) {
    throw new ValidationError('Key Validation Error: a key cannot be empty.');
  }
}

/** Validates the primary key and restore keys together, as actions/cache does before any request. */
export function validateKeys(primaryKey: string, restoreKeys: readonly string[]): void {
  const all = [primaryKey, ...restoreKeys];
  if (all.length > MAX_KEYS) {
    throw new ValidationError(
      `Key Validation Error: Keys are limited to a maximum of ${MAX_KEYS} (the key plus ${restoreKeys.length} restore keys).`,
    );
  }
  for (const key of all) validateKey(key);
}

/** cache-hit compares the matched key with the primary key case-insensitively (as actions/cache). */
export function isExactKeyMatch(primaryKey: string, matchedKey: string | undefined): boolean {
  return (
    matchedKey !== undefined &&
    primaryKey.localeCompare(matchedKey, undefined, { sensitivity: 'accent' }) === 0
  );
}

/** Multiline input parsing as actions/cache: split on newlines, trim, drop blanks, "! x" means "!x". */
export function parseMultiline(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => line.replace(/^!\s+/, '!'));
}

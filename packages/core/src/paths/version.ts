import { createHash } from 'node:crypto';
import { normalizePathLines } from './lines.js';

export { normalizePathLines } from './lines.js';

/** The salt @actions/cache uses today; bumping it is how upstream invalidates every entry. */
export const DEFAULT_VERSION_SALT = '1.0';

export interface CacheVersionOptions {
  /** `zstd`, `zstd-without-long` or `gzip` upstream; an empty string adds no component. */
  compression: string;
  platform: NodeJS.Platform;
  enableCrossOsArchive: boolean;
  salt?: string;
}

/**
 * The entry version, byte-for-byte the one @actions/cache computes in `getCacheVersion`
 * (cacheUtils.ts): sha256 hex of the `path` lines as written, then the compression method (only
 * when non-empty, as upstream tests it for truthiness), then `windows-only` on Windows unless
 * cross-OS archives are enabled, then the salt, all joined with `|`.
 *
 * The lines go through the same normalisation as upstream's input parsing (idempotent for lines
 * that are already normalised) so that a caller forgetting it cannot fork the version space.
 */
export function cacheVersion(patterns: readonly string[], opts: CacheVersionOptions): string {
  const components = normalizePathLines(patterns);
  if (opts.compression) components.push(opts.compression);
  if (opts.platform === 'win32' && !opts.enableCrossOsArchive) components.push('windows-only');
  components.push(opts.salt ?? DEFAULT_VERSION_SALT);
  return createHash('sha256').update(components.join('|')).digest('hex');
}

/** The compression method every s3cache entry uses; part of the version hash. */
export const COMPRESSION = 'zstd';

/**
 * The version of an s3cache entry for these path patterns: what the action and the CLI must both
 * compute, or their entries are invisible to each other.
 */
export function entryVersion(
  patterns: readonly string[],
  opts: { platform?: NodeJS.Platform; enableCrossOsArchive?: boolean } = {},
): string {
  return cacheVersion(patterns, {
    compression: COMPRESSION,
    platform: opts.platform ?? process.platform,
    enableCrossOsArchive: opts.enableCrossOsArchive ?? false,
  });
}

import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { decodeSegment, encodeSegment, truncateEncoded } from './encode.js';
import { type Scope, scopeFromPath, scopePath } from './scope.js';

/** Identity of a cache entry, as in actions/cache: repository, scope, version, key. */
export interface EntryRef {
  repository: string;
  scope: Scope;
  version: string;
  key: string;
}

/** S3 rejects object keys over 1,024 bytes. */
const MAX_OBJECT_KEY_BYTES = 1024;
/** Room kept after an entry directory for its longest child name (`updates/<ts>-<rand>.json`). */
const CHILD_RESERVE = 64;
/** `~` + 16 hex of sha256(key): marks a key too long to spell out in the object key. */
const HASH_SUFFIX_LENGTH = 17;
/** A UTF-8 character escapes to at most 12 bytes; a truncated prefix may lose that much. */
const MAX_ESCAPE_STEP_BACK = 12;

export const RESERVED_PREFIX = '_s3cache/';
export const MANIFEST_NAME = 'manifest.json';

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const VERSION = /^[0-9a-f]{64}$/;

export function normalizeRepository(repository: string): string {
  if (!REPOSITORY.test(repository)) {
    throw new ValidationError(`Invalid repository "${repository}": expected OWNER/REPO`);
  }
  // GitHub treats owner and repository names case-insensitively; IAM prefixes must not depend on case.
  return repository.toLowerCase();
}

export type ObjectRole = 'manifest' | 'pack' | 'update' | 'marker' | 'reserved' | 'unknown';

export interface ParsedObjectKey {
  role: ObjectRole;
  repository?: string;
  /** The entry directory (for manifest/pack/update) or the entry directory a marker refers to. */
  entryDir?: string;
  scope?: Scope;
  version?: string;
  /** The key, when the object key spells it out in full (not hash-truncated). */
  key?: string;
  /** File name inside the entry (`<id>.pack`, `<ts>-<rand>.json`). */
  name?: string;
}

/** Maps entries to object keys (see docs/layout.md). Pure: no I/O. */
export class Layout {
  readonly prefix: string;

  constructor(prefix = '') {
    const trimmed = prefix.replace(/^\/+|\/+$/g, '');
    this.prefix = trimmed ? `${trimmed}/` : '';
  }

  repositoryRoot(repository: string): string {
    return `${this.prefix}${normalizeRepository(repository)}/`;
  }

  /** Directory holding every entry of one (repository, scope, version). */
  versionDir(repository: string, scope: Scope, version: string): string {
    if (!VERSION.test(version)) throw new ValidationError(`Invalid cache version "${version}"`);
    return `${this.repositoryRoot(repository)}${scopePath(scope)}/${version}/`;
  }

  /** Bytes available for the key segment under a version directory. */
  private keyBudget(versionDir: string): number {
    const used = Buffer.byteLength(versionDir) + 'access/'.length + CHILD_RESERVE;
    const budget = MAX_OBJECT_KEY_BYTES - used;
    if (budget < 64) throw new ValidationError(`Scope and prefix leave no room for the key: ${versionDir}`);
    return budget;
  }

  /** The key as one path segment: spelled out when it fits, else truncated + `~` + hash. */
  keySegment(versionDir: string, key: string): string {
    const encoded = encodeSegment(key);
    const budget = this.keyBudget(versionDir);
    if (encoded.length <= budget) return encoded;
    const hash = createHash('sha256')
      .update(key, 'utf8')
      .digest('hex')
      .slice(0, HASH_SUFFIX_LENGTH - 1);
    return `${truncateEncoded(encoded, budget - HASH_SUFFIX_LENGTH)}~${hash}`;
  }

  /**
   * The listing prefix that finds every entry whose key starts with `keyPrefix`. When
   * `complete` is false some candidates are hash-truncated or the prefix itself was cut, and the
   * caller must compare the real key (from the manifest).
   */
  keyPrefixSearch(versionDir: string, keyPrefix: string): { listPrefix: string; complete: boolean } {
    const encoded = encodeSegment(keyPrefix);
    const safe = this.keyBudget(versionDir) - HASH_SUFFIX_LENGTH - MAX_ESCAPE_STEP_BACK;
    if (encoded.length <= safe) return { listPrefix: versionDir + encoded, complete: true };
    return { listPrefix: versionDir + truncateEncoded(encoded, safe), complete: false };
  }

  entryDir(ref: EntryRef): string {
    const versionDir = this.versionDir(ref.repository, ref.scope, ref.version);
    return `${versionDir}${this.keySegment(versionDir, ref.key)}/`;
  }

  manifestKey(entryDir: string): string {
    return `${entryDir}${MANIFEST_NAME}`;
  }

  packKey(entryDir: string, packId: string): string {
    return `${entryDir}packs/${packId}.pack`;
  }

  updateKey(entryDir: string, name: string): string {
    return `${entryDir}updates/${name}.json`;
  }

  /** The access marker of an entry lives beside the scopes so untrusted roles can touch it. */
  markerKeyForEntryDir(entryDir: string): string {
    const root = this.rootOf(entryDir);
    return `${root}access/${entryDir.slice(root.length, -1)}`;
  }

  markerKey(ref: EntryRef): string {
    return this.markerKeyForEntryDir(this.entryDir(ref));
  }

  reservedKey(name: string): string {
    return `${this.prefix}${RESERVED_PREFIX}${name}`;
  }

  private rootOf(objectKey: string): string {
    const rest = objectKey.slice(this.prefix.length).split('/');
    return `${this.prefix}${rest[0]}/${rest[1]}/`;
  }

  /** Classifies an object key from a listing (the janitor's only input). */
  parse(objectKey: string): ParsedObjectKey {
    if (!objectKey.startsWith(this.prefix)) return { role: 'unknown' };
    const rel = objectKey.slice(this.prefix.length);
    if (rel.startsWith(RESERVED_PREFIX)) return { role: 'reserved' };
    const parts = rel.split('/');
    const [owner, repo] = parts;
    if (!owner || !repo || parts.length < 3) return { role: 'unknown' };
    const repository = `${owner}/${repo}`;
    const root = `${this.prefix}${repository}/`;
    const isMarker = parts[2] === 'access';
    const tail = isMarker ? parts.slice(3) : parts.slice(2);
    const [kind, name, version, keySeg, ...rest] = tail;
    if (!kind || !name || !version || !keySeg || !['heads', 'pull', 'tags', 'other'].includes(kind)) {
      return { role: 'unknown', repository };
    }
    if (!VERSION.test(version)) return { role: 'unknown', repository };
    const entryDir = `${root}${kind}/${name}/${version}/${keySeg}/`;
    const base: ParsedObjectKey = { role: 'unknown', repository, entryDir, version };
    try {
      base.scope = scopeFromPath(kind, name);
      if (!keySeg.includes('~')) base.key = decodeSegment(keySeg);
    } catch {
      return { role: 'unknown', repository };
    }
    if (isMarker) return rest.length === 0 ? { ...base, role: 'marker' } : { role: 'unknown', repository };
    const file = rest.join('/');
    if (file === MANIFEST_NAME) return { ...base, role: 'manifest' };
    const pack = /^packs\/([A-Za-z0-9_-]+)\.pack$/.exec(file);
    if (pack?.[1]) return { ...base, role: 'pack', name: pack[1] };
    const update = /^updates\/([A-Za-z0-9_.-]+)\.json$/.exec(file);
    if (update?.[1]) return { ...base, role: 'update', name: update[1] };
    return { ...base, role: 'unknown' };
  }
}

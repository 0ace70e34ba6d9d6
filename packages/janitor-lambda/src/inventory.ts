import type { Layout, MultipartUploadInfo, ObjectInfo } from '@s3cache/core';

/**
 * The janitor's picture of the bucket, built from listings alone (plus, for a few entries, the
 * pack lists of their manifests). Pure data: the planner decides from this and a clock only.
 * Times are epoch milliseconds, which keeps a million-object inventory compact.
 */

export type ScopeKind = 'heads' | 'pull' | 'tags' | 'other';

export interface StoredObject {
  readonly key: string;
  readonly size: number;
  /** LastModified, epoch milliseconds. */
  readonly lastModified: number;
  /** The listed ETag: deletes are conditional on it where the store supports that. */
  readonly etag: string | undefined;
}

/**
 * What a generation's manifest says, as far as the janitor needs it.
 * - `unread`: not fetched (yet); nothing that depends on it may be decided.
 * - `ok`: the pack ids it references. `inferred` when deduced from the listing without a read.
 * - `invalid`: restore would skip it (unparseable, for another key, or gone): a dead generation.
 * - `unknown`: could not be read now (network, access) or is of a newer format this janitor does
 *   not understand: treated like `unread`, never as garbage.
 */
export type GenerationContent =
  | { readonly status: 'unread' }
  | { readonly status: 'ok'; readonly packIds: readonly string[]; readonly inferred?: boolean }
  | { readonly status: 'invalid'; readonly reason: string }
  | { readonly status: 'unknown'; readonly reason: string };

/** The entry root (`manifest.json`, `name` undefined) or an update (`updates/<name>.json`). */
export interface Generation {
  readonly name: string | undefined;
  readonly object: StoredObject;
  readonly content: GenerationContent;
}

export interface PackObject {
  readonly id: string;
  readonly object: StoredObject;
}

interface EntryCommon {
  readonly entryDir: string;
  readonly repository: string;
  /** The git ref, e.g. `refs/heads/main`. */
  readonly scope: string;
  readonly scopeKind: ScopeKind;
  readonly version: string;
  /** The cache key when the object key spells it out (not hash-truncated). */
  readonly key: string | undefined;
  /** Updates sorted oldest first (their names start with a zero-padded creation time). */
  readonly updates: readonly Generation[];
  readonly packs: readonly PackObject[];
  readonly marker: StoredObject | undefined;
  /** Unrecognised files inside the entry directory: they go when the entry goes. */
  readonly extras: readonly StoredObject[];
}

/** A live entry: its root manifest exists. */
export interface Entry extends EntryCommon {
  readonly root: Generation;
  /** Sum of every object of the entry, access marker included. */
  readonly bytes: number;
  /** max(access marker, newest manifest or update): LastModified only, no GETs. */
  readonly lastAccess: number;
}

/** Objects of an entry directory (or an access marker) whose root manifest does not exist. */
export interface OrphanDir extends EntryCommon {
  readonly bytes: number;
}

export interface UploadInfo {
  readonly key: string;
  readonly uploadId: string;
  /** Initiation time, epoch milliseconds. */
  readonly initiated: number;
  readonly repository: string | undefined;
  readonly entryDir: string | undefined;
}

export interface RepositoryUsage {
  readonly repository: string;
  /** Every listed object under the repository's root, whatever its role. */
  readonly bytes: number;
  readonly objects: number;
  readonly entries: number;
}

export interface Inventory {
  readonly entries: readonly Entry[];
  readonly orphans: readonly OrphanDir[];
  readonly uploads: readonly UploadInfo[];
  /** Sorted by repository. */
  readonly repositories: readonly RepositoryUsage[];
  readonly objects: number;
  readonly bytes: number;
  /** Objects outside any repository (reserved area, foreign keys): counted, never touched. */
  readonly ignoredObjects: number;
}

interface Draft {
  entryDir: string;
  /** entryDir still comes from parsing a marker key (see add). */
  dirFromMarker: boolean;
  repository: string;
  scope: string;
  scopeKind: ScopeKind;
  version: string;
  key: string | undefined;
  root: StoredObject | undefined;
  // Created on first use with exact capacity: most entries have one pack and no update, and a
  // pushed-to empty array reserves room for 17 elements.
  updates: { name: string; object: StoredObject }[] | undefined;
  packs: PackObject[] | undefined;
  marker: StoredObject | undefined;
  extras: StoredObject[] | undefined;
}

const NONE: readonly never[] = Object.freeze([]);

function append<T>(list: T[] | undefined, item: T): T[] {
  if (!list) return [item];
  list.push(item);
  return list;
}

interface MutableUsage {
  bytes: number;
  objects: number;
  entries: number;
}

const SCOPE_KINDS: ReadonlySet<string> = new Set(['heads', 'pull', 'tags', 'other']);

const ROOT = 0;
const UPDATE = 1;
const PACK = 2;
type Kind = typeof ROOT | typeof UPDATE | typeof PACK;

/**
 * A manifest, update or pack of an entry. At a million objects, one ~200-byte key string per
 * object is most of the inventory's memory; this holds a reference to the entry directory and
 * the file's name instead, and spells the key out only when asked (for planned deletions and
 * manifest reads: a fraction of the listing).
 */
class ListedObject implements StoredObject {
  readonly size: number;
  readonly lastModified: number;
  readonly etag: string | undefined;

  constructor(
    private readonly layout: Layout,
    private readonly entryDir: string,
    private readonly kind: Kind,
    private readonly name: string,
    object: ObjectInfo,
  ) {
    this.size = object.size;
    this.lastModified = object.lastModified.getTime();
    this.etag = object.etag;
  }

  get key(): string {
    if (this.kind === ROOT) return this.layout.manifestKey(this.entryDir);
    if (this.kind === UPDATE) return this.layout.updateKey(this.entryDir, this.name);
    return this.layout.packKey(this.entryDir, this.name);
  }

  /** Plain data for JSON, structuredClone and test equality. */
  toJSON(): { key: string; size: number; lastModified: number; etag: string | undefined } {
    return { key: this.key, size: this.size, lastModified: this.lastModified, etag: this.etag };
  }
}

function toStored(object: ObjectInfo): StoredObject {
  return {
    key: object.key,
    size: object.size,
    lastModified: object.lastModified.getTime(),
    etag: object.etag,
  };
}

/**
 * Accumulates listed objects into entries. Objects may arrive in any order and from several
 * concurrent listings; `finish` produces the inventory. Pure apart from its own state.
 */
export class InventoryBuilder {
  private readonly drafts = new Map<string, Draft>();
  private readonly usage = new Map<string, MutableUsage>();
  private readonly strings = new Map<string, string>();
  private readonly uploads: UploadInfo[] = [];
  private objects = 0;
  private bytes = 0;
  private ignored = 0;

  constructor(private readonly layout: Layout) {}

  add(object: ObjectInfo): void {
    this.objects++;
    this.bytes += object.size;
    const parsed = this.layout.parse(object.key);
    if (parsed.repository === undefined) {
      this.ignored++;
      return;
    }
    const { entryDir, scope, version } = parsed;
    if (entryDir === undefined || scope === undefined || version === undefined) {
      this.count(this.intern(parsed.repository), object.size);
      return;
    }
    const draft = this.draftOf(entryDir, parsed.repository, scope, version, parsed.key);
    this.count(draft.repository, object.size);
    if (parsed.role !== 'marker' && draft.dirFromMarker && object.key.startsWith(entryDir)) {
      // Markers list first (`access/` sorts before the scopes). Re-base the directory string on
      // an object key the inventory keeps anyway, releasing what parsing the marker built.
      draft.entryDir = object.key.slice(0, entryDir.length);
      draft.dirFromMarker = false;
    }
    const name = parsed.name ?? '';
    switch (parsed.role) {
      case 'manifest':
        draft.root = this.store(object, draft.entryDir, ROOT, '');
        break;
      case 'update':
        draft.updates = append(draft.updates, {
          name,
          object: this.store(object, draft.entryDir, UPDATE, name),
        });
        break;
      case 'pack':
        draft.packs = append(draft.packs, {
          id: name,
          object: this.store(object, draft.entryDir, PACK, name),
        });
        break;
      case 'marker':
        draft.marker = toStored(object);
        break;
      default:
        draft.extras = append(draft.extras, toStored(object));
    }
  }

  /**
   * Keeps an entry's object without its key string: the key is rebuilt from the entry directory
   * (shared by all its objects) when needed. The listed key is compared with the rebuilt one,
   * so a key the layout would spell differently is kept verbatim instead.
   */
  private store(object: ObjectInfo, entryDir: string, kind: Kind, name: string): StoredObject {
    const listed = new ListedObject(this.layout, entryDir, kind, name, object);
    return listed.key === object.key ? listed : toStored(object);
  }

  addUpload(upload: MultipartUploadInfo): void {
    const parsed = this.layout.parse(upload.key);
    this.uploads.push({
      key: upload.key,
      uploadId: upload.uploadId,
      initiated: upload.initiated.getTime(),
      repository: parsed.repository,
      entryDir: parsed.entryDir,
    });
  }

  finish(): Inventory {
    const entries: Entry[] = [];
    const orphans: OrphanDir[] = [];
    for (const draft of this.drafts.values()) {
      const updates: readonly Generation[] = draft.updates
        ? draft.updates
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
            .map(({ name, object }) => ({ name, object, content: UNREAD }))
        : NONE;
      const packs: readonly PackObject[] = draft.packs ?? NONE;
      const extras: readonly StoredObject[] = draft.extras ?? NONE;
      let bytes = draft.marker?.size ?? 0;
      for (const u of updates) bytes += u.object.size;
      for (const p of packs) bytes += p.object.size;
      for (const x of extras) bytes += x.size;
      if (!draft.root) {
        orphans.push({
          entryDir: draft.entryDir,
          repository: draft.repository,
          scope: draft.scope,
          scopeKind: draft.scopeKind,
          version: draft.version,
          key: draft.key,
          updates,
          packs,
          marker: draft.marker,
          extras,
          bytes,
        });
        continue;
      }
      let lastAccess = Math.max(draft.root.lastModified, draft.marker?.lastModified ?? 0);
      for (const u of updates) lastAccess = Math.max(lastAccess, u.object.lastModified);
      const root: Generation = { name: undefined, object: draft.root, content: inferRootContent(draft) };
      entries.push(makeEntry(draft, root, updates, packs, extras, bytes + draft.root.size, lastAccess));
      this.usageOf(draft.repository).entries++;
    }
    // The drafts are now owned by the entries: drop the map so the builder holds nothing twice.
    this.drafts.clear();
    this.strings.clear();
    entries.sort(byEntryDir);
    orphans.sort(byEntryDir);
    const repositories = [...this.usage.entries()]
      .map(([repository, u]) => ({ repository, ...u }))
      .sort((a, b) => (a.repository < b.repository ? -1 : 1));
    return {
      entries,
      orphans,
      uploads: [...this.uploads],
      repositories,
      objects: this.objects,
      bytes: this.bytes,
      ignoredObjects: this.ignored,
    };
  }

  private count(repository: string, size: number): void {
    const usage = this.usageOf(repository);
    usage.bytes += size;
    usage.objects++;
  }

  private usageOf(repository: string): MutableUsage {
    let usage = this.usage.get(repository);
    if (!usage) {
      usage = { bytes: 0, objects: 0, entries: 0 };
      this.usage.set(repository, usage);
    }
    return usage;
  }

  /** Repositories, scopes and versions repeat across thousands of entries: keep one copy each. */
  private intern(value: string): string {
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    this.strings.set(value, value);
    return value;
  }

  private draftOf(
    entryDir: string,
    repository: string,
    scope: string,
    version: string,
    key: string | undefined,
  ): Draft {
    let draft = this.drafts.get(entryDir);
    if (!draft) {
      draft = {
        entryDir,
        dirFromMarker: true,
        repository: this.intern(repository),
        scope: this.intern(scope),
        scopeKind: scopeKindOf(entryDir, this.layout.prefix.length + repository.length + 1),
        version: this.intern(version),
        key,
        root: undefined,
        updates: undefined,
        packs: undefined,
        marker: undefined,
        extras: undefined,
      };
      this.drafts.set(entryDir, draft);
    }
    return draft;
  }
}

const UNREAD: GenerationContent = { status: 'unread' };

/**
 * Entries are built by listing every field in one literal, never by spreading: V8 gives objects
 * made by spread-then-extend a hidden class each, which costs ~400 bytes per entry at scale.
 */
function makeEntry(
  from: Pick<Entry, 'entryDir' | 'repository' | 'scope' | 'scopeKind' | 'version' | 'key' | 'marker'>,
  root: Generation,
  updates: readonly Generation[],
  packs: readonly PackObject[],
  extras: readonly StoredObject[],
  bytes: number,
  lastAccess: number,
): Entry {
  return {
    entryDir: from.entryDir,
    repository: from.repository,
    scope: from.scope,
    scopeKind: from.scopeKind,
    version: from.version,
    key: from.key,
    root,
    updates,
    packs,
    marker: from.marker,
    extras,
    bytes,
    lastAccess,
  };
}

/**
 * An entry with no updates and exactly one pack needs no read: a root manifest lists at least
 * one pack and a save writes one pack per generation, so that pack is the root's. This spares
 * a GET for the common entry (saved once, restored many times).
 */
function inferRootContent(draft: Draft): GenerationContent {
  const only = draft.packs?.[0];
  if (!draft.updates && draft.packs?.length === 1 && only) {
    return { status: 'ok', packIds: [only.id], inferred: true };
  }
  return UNREAD;
}

function scopeKindOf(entryDir: string, rootLength: number): ScopeKind {
  const kind = entryDir.slice(rootLength, entryDir.indexOf('/', rootLength));
  return SCOPE_KINDS.has(kind) ? (kind as ScopeKind) : 'other';
}

/** Entry directories are unique within an inventory: one comparison decides. */
function byEntryDir(a: { entryDir: string }, b: { entryDir: string }): number {
  return a.entryDir < b.entryDir ? -1 : 1;
}

/** Builds an inventory from a complete listing. */
export function buildInventory(
  layout: Layout,
  objects: Iterable<ObjectInfo>,
  uploads: Iterable<MultipartUploadInfo> = [],
): Inventory {
  const builder = new InventoryBuilder(layout);
  for (const object of objects) builder.add(object);
  for (const upload of uploads) builder.addUpload(upload);
  return builder.finish();
}

/**
 * Manifests whose pack lists the planner needs, with their entries: every generation of entries
 * with updates, or with packs the listing alone cannot attribute. Entries whose every pack is
 * missing need no read: no generation can be complete.
 */
export function generationsToRead(inventory: Inventory): { key: string; entry: Entry }[] {
  const out: { key: string; entry: Entry }[] = [];
  for (const entry of inventory.entries) {
    if (entry.packs.length === 0) continue;
    if (entry.root.content.status === 'unread') out.push({ key: entry.root.object.key, entry });
    for (const update of entry.updates) {
      if (update.content.status === 'unread') out.push({ key: update.object.key, entry });
    }
  }
  return out;
}

/** The object keys of `generationsToRead`. */
export function manifestsToRead(inventory: Inventory): string[] {
  return generationsToRead(inventory).map((g) => g.key);
}

/** The entry with the contents of its unread generations filled in (itself when none apply). */
export function fillEntry(entry: Entry, contents: ReadonlyMap<string, GenerationContent>): Entry {
  const lookup = (g: Generation): GenerationContent | undefined =>
    g.content.status === 'unread' ? contents.get(g.object.key) : undefined;
  if (lookup(entry.root) === undefined && !entry.updates.some((u) => lookup(u) !== undefined)) return entry;
  const fill = (g: Generation): Generation => {
    const content = lookup(g);
    return content ? { name: g.name, object: g.object, content } : g;
  };
  const { packs, extras, bytes, lastAccess } = entry;
  return makeEntry(entry, fill(entry.root), entry.updates.map(fill), packs, extras, bytes, lastAccess);
}

/**
 * A copy of the inventory with the contents of unread generations filled in (keyed by manifest
 * object key). Generations already known are left as they are.
 */
export function withGenerationContents(
  inventory: Inventory,
  contents: ReadonlyMap<string, GenerationContent>,
): Inventory {
  if (contents.size === 0) return inventory;
  return { ...inventory, entries: inventory.entries.map((entry) => fillEntry(entry, contents)) };
}

import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { type Layout, RESERVED_PREFIX, type Store } from '@s3cache/core';
import { mapConcurrent } from './concurrency.js';
import { ListingError } from './errors.js';
import { type Inventory, InventoryBuilder } from './inventory.js';
import { type JanitorLogger, silentJanitorLogger } from './log.js';

/** Lists the "folders" directly under a prefix (a delimiter listing). */
export interface PrefixLister {
  listPrefixes(prefix: string): AsyncIterable<string>;
}

/** Delimiter listings on S3: what lets the janitor list repositories in parallel. */
export class S3PrefixLister implements PrefixLister {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async *listPrefixes(prefix: string): AsyncIterable<string> {
    const pages = paginateListObjectsV2(
      { client: this.client, pageSize: 1000 },
      { Bucket: this.bucket, Prefix: prefix, Delimiter: '/' },
    );
    for await (const page of pages) {
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) yield common.Prefix;
    }
  }
}

export interface ListBucketOptions {
  store: Store;
  layout: Layout;
  /** Without one the bucket prefix is listed as one stream (correct, just not parallel). */
  lister?: PrefixLister | undefined;
  /** Listings in flight (default 8). */
  concurrency?: number;
  log?: JanitorLogger;
  signal?: AbortSignal;
}

export interface ListBucketResult {
  inventory: Inventory;
  /** Repository prefixes listed one by one (0 when listed as one stream). */
  repositoryPrefixes: number;
}

/**
 * Lists every object and incomplete multipart upload under the bucket prefix into an inventory.
 * With a prefix lister: `owner/` prefixes, then `owner/repo/` prefixes, then one listing per
 * repository, several at once. Any failure fails the whole listing: planning from a partial
 * listing would mistake unlisted packs for missing ones.
 */
export async function listBucket(options: ListBucketOptions): Promise<ListBucketResult> {
  const { store, layout, lister } = options;
  const log = options.log ?? silentJanitorLogger;
  const concurrency = options.concurrency ?? 8;
  const builder = new InventoryBuilder(layout);
  const drain = async (prefix: string) => {
    for await (const object of store.list(prefix)) {
      builder.add(object);
      options.signal?.throwIfAborted();
    }
  };
  let repositoryPrefixes = 0;
  try {
    if (lister) {
      const reserved = layout.prefix + RESERVED_PREFIX;
      const owners: string[] = [];
      for await (const owner of lister.listPrefixes(layout.prefix))
        if (owner !== reserved) owners.push(owner);
      const nested = await mapConcurrent(owners, concurrency, async (owner) => {
        const repos: string[] = [];
        for await (const repo of lister.listPrefixes(owner)) repos.push(repo);
        return repos;
      });
      const repos = nested.flat();
      repositoryPrefixes = repos.length;
      log.debug('listing repositories', { owners: owners.length, repositories: repos.length });
      await mapConcurrent(repos, concurrency, drain);
    } else {
      await drain(layout.prefix);
    }
    for await (const upload of store.listMultipartUploads(layout.prefix)) builder.addUpload(upload);
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw new ListingError(
      `listing ${store.location}/${layout.prefix} failed: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
  return { inventory: builder.finish(), repositoryPrefixes };
}

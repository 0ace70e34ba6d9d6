import { Layout } from '@s3cache/core';
import { describe, expect, it } from 'vitest';
import { ListingError, listBucket, type PrefixLister } from '../src/index.js';
import { MemoryStore } from './support/memory-store.js';

/** Delimiter listing over a MemoryStore, recording which prefixes were asked for. */
function lister(store: MemoryStore, asked: string[]): PrefixLister {
  return {
    async *listPrefixes(prefix: string) {
      asked.push(prefix);
      const seen = new Set<string>();
      for (const key of store.keys()) {
        if (!key.startsWith(prefix)) continue;
        const slash = key.indexOf('/', prefix.length);
        if (slash >= 0) seen.add(key.slice(0, slash + 1));
      }
      yield* [...seen].sort();
    },
  };
}

const version = 'a'.repeat(64);

function seed(store: MemoryStore, prefix: string) {
  for (const repo of ['acme/app', 'acme/lib', 'zed/tool']) {
    store.put(`${prefix}${repo}/heads/main/${version}/k/manifest.json`, '{}');
    store.put(`${prefix}${repo}/heads/main/${version}/k/packs/p.pack`, 'xxxx');
  }
  store.put(`${prefix}_s3cache/reports/r.json`, '{}');
}

describe('listBucket', () => {
  it('lists owners, then repositories, then each repository, skipping the reserved area', async () => {
    const store = new MemoryStore();
    seed(store, 'p/');
    store.put('elsewhere/acme/app/x', 'outside the prefix');
    store.uploads.push({
      key: `p/acme/app/heads/main/${version}/k/packs/q.pack`,
      uploadId: 'u',
      initiated: new Date(0),
    });
    const asked: string[] = [];
    const listed: string[] = [];
    const spy = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'list') {
          return (prefix: string) => {
            listed.push(prefix);
            return target.list(prefix);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const { inventory, repositoryPrefixes } = await listBucket({
      store: spy,
      layout: new Layout('p'),
      lister: lister(store, asked),
      concurrency: 2,
    });
    expect(asked).toEqual(['p/', 'p/acme/', 'p/zed/']);
    expect(listed.sort()).toEqual(['p/acme/app/', 'p/acme/lib/', 'p/zed/tool/']);
    expect(repositoryPrefixes).toBe(3);
    expect(inventory.entries.map((e) => e.repository)).toEqual(['acme/app', 'acme/lib', 'zed/tool']);
    expect(inventory.objects).toBe(6);
    expect(inventory.uploads).toHaveLength(1);
  });

  it('lists the whole prefix as one stream without a prefix lister', async () => {
    const store = new MemoryStore();
    seed(store, '');
    const { inventory, repositoryPrefixes } = await listBucket({ store, layout: new Layout() });
    expect(repositoryPrefixes).toBe(0);
    expect(inventory.entries).toHaveLength(3);
    expect(inventory.ignoredObjects).toBe(1);
  });

  it('fails as a whole when any listing fails: a partial listing must never be planned from', async () => {
    const store = new MemoryStore();
    seed(store, '');
    const broken = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'list') {
          return async function* (prefix: string) {
            if (prefix === 'acme/lib/') throw new Error('connection reset');
            yield* target.list(prefix);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    await expect(
      listBucket({ store: broken, layout: new Layout(), lister: lister(store, []) }),
    ).rejects.toThrow(ListingError);
    await expect(
      listBucket({ store: broken, layout: new Layout(), lister: lister(store, []) }),
    ).rejects.toThrow(/connection reset/);
  });
});

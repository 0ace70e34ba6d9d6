import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { DirStore, type ObjectInfo, S3Store, type Store } from '@s3cache/core';
import { createTestBucket, s3TestsSkipped, testS3ClientConfig } from '@s3cache/testkit';
import { type PrefixLister, S3PrefixLister } from '../../src/index.js';

/**
 * A store under test plus a way to give objects a chosen LastModified. A directory store sets
 * the file's mtime (what it lists). S3 cannot backdate LastModified, so the S3 harness reports
 * the chosen time in listings through a thin decorator; every other call, deletes included,
 * goes to the real S3 unchanged.
 */
export interface StoreHarness {
  store: Store;
  lister: PrefixLister | undefined;
  client: S3Client | undefined;
  bucket: string | undefined;
  age(key: string, at: Date): Promise<void>;
  cleanup(): Promise<void>;
}

export interface HarnessKind {
  name: string;
  skip: boolean;
  create(): Promise<StoreHarness>;
}

/** Listing-time override of LastModified for chosen keys; everything else is the real store. */
export class AgedStore implements Store {
  readonly times = new Map<string, Date>();
  constructor(private readonly inner: Store) {}
  get location() {
    return this.inner.location;
  }
  get supportsConditionalDelete() {
    return this.inner.supportsConditionalDelete;
  }
  private warp(info: ObjectInfo): ObjectInfo {
    const at = this.times.get(info.key);
    return at ? { ...info, lastModified: at } : info;
  }
  putObject: Store['putObject'] = (key, body, options) => {
    this.times.delete(key);
    return this.inner.putObject(key, body, options);
  };
  upload: Store['upload'] = (key, body, options) => {
    this.times.delete(key);
    return this.inner.upload(key, body, options);
  };
  getObject: Store['getObject'] = (key, signal) => this.inner.getObject(key, signal);
  getRange: Store['getRange'] = (key, start, end, signal) => this.inner.getRange(key, start, end, signal);
  head: Store['head'] = async (key) => {
    const info = await this.inner.head(key);
    return info ? this.warp(info) : undefined;
  };
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for await (const info of this.inner.list(prefix)) yield this.warp(info);
  }
  deleteObjects: Store['deleteObjects'] = (requests) => this.inner.deleteObjects(requests);
  listMultipartUploads: Store['listMultipartUploads'] = (prefix) => this.inner.listMultipartUploads(prefix);
  abortMultipartUpload: Store['abortMultipartUpload'] = (upload) => this.inner.abortMultipartUpload(upload);
}

export const harnesses: HarnessKind[] = [
  {
    name: 'directory store',
    skip: false,
    async create() {
      const root = await mkdtemp(join(tmpdir(), 's3cache-janitor-'));
      return {
        store: new DirStore(root),
        lister: undefined,
        client: undefined,
        bucket: undefined,
        age: (key, at) => utimes(join(root, ...key.split('/')), at, at),
        cleanup: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'S3 store',
    skip: s3TestsSkipped(),
    async create() {
      const client = new S3Client(testS3ClientConfig());
      const bucket = await createTestBucket({ client });
      const aged = new AgedStore(new S3Store(client, { bucket: bucket.name }));
      return {
        store: aged,
        lister: new S3PrefixLister(client, bucket.name),
        client,
        bucket: bucket.name,
        age: async (key, at) => {
          aged.times.set(key, at);
        },
        async cleanup() {
          await bucket.cleanup();
          client.destroy();
        },
      };
    },
  },
];

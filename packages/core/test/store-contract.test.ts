import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlreadyExistsError, ObjectMissingError } from '../src/errors.js';
import { collect } from '../src/store/store.js';
import { type StoreFixture, storeKinds } from './stores.js';

describe.each(storeKinds)('Store contract: $name', ({ create, skip }) => {
  let fx: StoreFixture;
  beforeAll(async () => {
    if (!skip) fx = await create();
  });
  afterAll(async () => fx?.cleanup());

  it.skipIf(skip)('puts, gets, heads and ranges an object', async () => {
    const body = Buffer.from('0123456789abcdef');
    await fx.store.putObject('a/b/obj', body, { tags: { type: 'base' } });
    expect((await fx.store.getObject('a/b/obj')).equals(body)).toBe(true);
    expect((await fx.store.getRange('a/b/obj', 4, 10)).toString()).toBe('456789');
    const head = await fx.store.head('a/b/obj');
    expect(head?.size).toBe(16);
    expect(await fx.store.head('a/b/none')).toBeUndefined();
    await expect(fx.store.getObject('a/b/none')).rejects.toBeInstanceOf(ObjectMissingError);
  });

  it.skipIf(skip)('first write wins with ifNoneMatch', async () => {
    await fx.store.putObject('w/manifest.json', Buffer.from('first'), { ifNoneMatch: true });
    await expect(
      fx.store.putObject('w/manifest.json', Buffer.from('second'), { ifNoneMatch: true }),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await fx.store.getObject('w/manifest.json')).toString()).toBe('first');
  });

  it.skipIf(skip)('of concurrent conditional writers exactly one wins', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        fx.store.putObject('race/manifest.json', Buffer.from(`writer ${i}`), { ifNoneMatch: true }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AlreadyExistsError);
  });

  it.skipIf(skip)('streams a multi-part upload that appears only when complete', async () => {
    const part = Buffer.alloc(5 * 1024 * 1024 + 17, 7);
    const body = Readable.from([part, part, Buffer.from('tail')]);
    const { size } = await fx.store.upload('big/pack', body, {
      tags: { type: 'base' },
      partSize: 5 * 1024 * 1024,
    });
    expect(size).toBe(part.length * 2 + 4);
    expect((await fx.store.getRange('big/pack', part.length * 2, size)).toString()).toBe('tail');
  });

  it.skipIf(skip)('lists by prefix in key order, across pages, with long keys', async () => {
    const long = `${'%F0%9F%9A%80'.repeat(60)}~0123456789abcdef`;
    const keys = Array.from({ length: 1205 }, (_, i) => `list/k${String(i).padStart(5, '0')}`);
    keys.push(`list/${long}/manifest.json`);
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(keys.slice(i, i + 100).map((k) => fx.store.putObject(k, Buffer.from('x'))));
    }
    const listed = await collect(fx.store.list('list/'));
    expect(listed.map((o) => o.key)).toEqual([...keys].sort());
    expect((await collect(fx.store.list('list/k0119'))).length).toBe(10);
    expect((await collect(fx.store.list(`list/${long.slice(0, 300)}`))).map((o) => o.key)).toEqual([
      `list/${long}/manifest.json`,
    ]);
    const result = await fx.store.deleteObjects(keys.map((key) => ({ key })));
    expect(result.failed).toEqual([]);
    expect(await collect(fx.store.list('list/'))).toEqual([]);
  });

  it.skipIf(skip)('deleting what is already gone succeeds', async () => {
    const result = await fx.store.deleteObjects([{ key: 'never/there' }]);
    expect(result.failed).toEqual([]);
  });
});

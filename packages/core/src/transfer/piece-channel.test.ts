import { describe, expect, it } from 'vitest';
import { PieceChannel } from './piece-channel.js';

const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('PieceChannel', () => {
  it('tells a piece is consumed only when the consumer asks for the next, or stops', async () => {
    const channel = new PieceChannel(1024);
    const consumed: string[] = [];
    await channel.push(Buffer.from('a'), () => consumed.push('a'));
    await channel.push(Buffer.from('b'));
    await channel.push(Buffer.from('c'), () => consumed.push('c'));
    channel.end();
    const iterator = channel[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.toString()).toBe('a');
    expect(consumed).toEqual([]); // the consumer may still be copying it
    expect((await iterator.next()).value?.toString()).toBe('b');
    expect(consumed).toEqual(['a']);
    await iterator.next();
    expect(consumed).toEqual(['a']);
    expect((await iterator.next()).done).toBe(true);
    expect(consumed).toEqual(['a', 'c']);

    // A consumer that stops early is done with the piece it holds.
    const early = new PieceChannel(1024);
    let released = false;
    await early.push(Buffer.from('x'), () => {
      released = true;
    });
    for await (const _ of early) break;
    expect(released).toBe(true);
  });

  it('hands each piece over as pushed, in order, and ends after the last', async () => {
    const channel = new PieceChannel(1024);
    const pieces = [Buffer.from('a'), Buffer.alloc(3000, 1), Buffer.from('tail')];
    const received: Buffer[] = [];
    const reading = (async () => {
      for await (const piece of channel) received.push(piece);
    })();
    for (const piece of pieces) await channel.push(piece);
    channel.end();
    await reading;
    expect(received).toHaveLength(3);
    // The very objects pushed: no copy, no joining.
    received.forEach((piece, i) => {
      expect(piece).toBe(pieces[i]);
    });
  });

  it('holds the producer back while more than its limit is queued', async () => {
    const channel = new PieceChannel(100);
    expect(await settled(channel.push(Buffer.alloc(60)))).toBe(true);
    const second = channel.push(Buffer.alloc(60));
    expect(await settled(second)).toBe(false);
    const iterator = channel[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toHaveLength(60);
    expect(await settled(second)).toBe(true);
  });

  it('fails a waiting producer when the consumer stops early', async () => {
    const channel = new PieceChannel(10);
    await channel.push(Buffer.alloc(5));
    const waiting = channel.push(Buffer.alloc(50));
    for await (const _ of channel) break; // takes the first piece only
    await expect(waiting).rejects.toThrow(/stopped reading/);
    await expect(channel.push(Buffer.alloc(1))).rejects.toThrow(/stopped reading/);
  });

  it('passes a producer failure to the consumer, and a consumer failure to the producer', async () => {
    const one = new PieceChannel(10);
    const reading = (async () => {
      for await (const _ of one);
    })();
    one.destroy(new Error('tar read failed'));
    await expect(reading).rejects.toThrow('tar read failed');

    const two = new PieceChannel(10);
    const waiting = two.push(Buffer.alloc(50));
    two.destroy(new Error('upload failed'));
    await expect(waiting).rejects.toThrow('upload failed');
  });
});

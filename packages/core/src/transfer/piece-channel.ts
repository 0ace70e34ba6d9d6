/**
 * A byte-bounded hand-over from one producer, which awaits `push`, to one consumer, which
 * iterates. Each piece reaches the consumer as the object pushed: a Node stream's async iterator
 * would instead join everything buffered into a new Buffer on every read (a copy of every pack
 * byte, and garbage to collect), which the uploader copying pieces into its part buffers does not
 * need.
 */
export class PieceChannel implements AsyncIterable<Buffer> {
  private readonly queue: Buffer[] = [];
  /** `queue[i]`'s onConsumed, when it has one. */
  private readonly consumed: ((() => void) | undefined)[] = [];
  private head = 0;
  private queued = 0;
  private ended = false;
  private error: Error | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  /** `limit`: bytes queued beyond which `push` waits for the consumer. */
  constructor(private readonly limit: number) {}

  /**
   * Queues `piece`, which must not change until consumed; resolves once there is room again.
   * `onConsumed` is called once the consumer is done with it: when it asks for the next piece
   * (a consumer must be done with a piece by then, see Store.upload) or its iteration ends.
   */
  async push(piece: Buffer, onConsumed?: () => void): Promise<void> {
    if (this.error) throw this.error;
    if (this.ended) throw new Error('push after end');
    this.queue.push(piece);
    this.consumed.push(onConsumed);
    this.queued += piece.length;
    this.wake('consumer');
    while (this.queued > this.limit && !this.error) {
      await new Promise<void>((resolve) => {
        this.wakeProducer = resolve;
      });
    }
    if (this.error) throw this.error;
  }

  /** No more pieces: the consumer's iteration ends once it has taken the queued ones. */
  end(): void {
    this.ended = true;
    this.wake('consumer');
  }

  /** Stops both sides: a waiting or later `push` rejects with `err`, and so does the iteration. */
  destroy(err: Error): void {
    this.error ??= err;
    this.wake('consumer');
    this.wake('producer');
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    let finished = false;
    try {
      while (true) {
        if (this.error) throw this.error;
        if (this.head < this.queue.length) {
          const piece = this.queue[this.head] as Buffer;
          const onConsumed = this.consumed[this.head++];
          if (this.head === this.queue.length) {
            this.queue.length = 0;
            this.consumed.length = 0;
            this.head = 0;
          }
          this.queued -= piece.length;
          if (this.queued <= this.limit) this.wake('producer');
          try {
            yield piece;
          } finally {
            onConsumed?.();
          }
        } else if (this.ended) {
          finished = true;
          return;
        } else {
          await new Promise<void>((resolve) => {
            this.wakeConsumer = resolve;
          });
        }
      }
    } finally {
      // A consumer that stopped early (it failed, or was aborted) must not leave the producer
      // waiting for room forever.
      if (!finished) this.destroy(new Error('the consumer stopped reading'));
    }
  }

  private wake(side: 'consumer' | 'producer'): void {
    const wake = side === 'consumer' ? this.wakeConsumer : this.wakeProducer;
    if (side === 'consumer') this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    wake?.();
  }
}

import { performance } from 'node:perf_hooks';
import { formatBytes, formatPercent, formatRate } from './format.js';

/**
 * Logs transfer progress at most every `intervalMs` so long transfers show they are alive
 * without flooding the log.
 */
export class ProgressLog {
  private readonly started: number;
  private last: number;

  constructor(
    private readonly verb: string,
    private readonly log: (message: string) => void,
    private readonly intervalMs = 5_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
    this.last = this.started;
  }

  /** `done` bytes so far of `total` (when known). */
  update(done: number, total?: number): void {
    const at = this.now();
    if (at - this.last < this.intervalMs) return;
    this.last = at;
    const seconds = (at - this.started) / 1000;
    const of =
      total !== undefined && total > 0 ? ` of ${formatBytes(total)} (${formatPercent(done, total)})` : '';
    this.log(`${this.verb} ${formatBytes(done)}${of}, ${formatRate(done, seconds)}`);
  }
}

import type { Logger } from '@s3cache/core';
import { type ProgressState, renderProgressLine, renderProgressText } from '../format/progress-bar.js';
import type { Env, OutputStream } from '../io.js';

/**
 * How progress is shown:
 * - `bar`: a live bar redrawn in place on stderr (an interactive terminal);
 * - `lines`: an occasional plain line (output piped to a file or a pager);
 * - `off`: nothing (CI logs, `--json`, `--no-progress`), so logs stay readable.
 */
export type ProgressMode = 'bar' | 'lines' | 'off';

export function chooseProgressMode(opts: {
  stderrIsTTY: boolean;
  env: Env;
  json: boolean;
  progress: boolean;
}): ProgressMode {
  if (!opts.progress || opts.json) return 'off';
  // Every mainstream CI sets CI; TERM=dumb terminals cannot redraw a line.
  const ci = opts.env.CI !== undefined && opts.env.CI !== '' && opts.env.CI !== 'false';
  if (ci) return 'off';
  if (opts.stderrIsTTY && opts.env.TERM !== 'dumb') return 'bar';
  return 'lines';
}

export interface ReporterOptions {
  json: boolean;
  verbose: boolean;
  progress: ProgressMode;
}

export interface Progress {
  update(done: number, total?: number): void;
  /** Removes the bar (the caller prints the phase's result line). */
  finish(): void;
}

const BAR_INTERVAL_MS = 100;
const LINE_INTERVAL_MS = 5_000;

/**
 * All output goes through here. Results for people go to stdout (suppressed under `--json`, where
 * stdout carries exactly one JSON document); progress, notes and warnings go to stderr.
 */
export class Reporter {
  private activeBar: { line: string } | undefined;

  constructor(
    private readonly stdout: OutputStream,
    private readonly stderr: OutputStream,
    readonly options: ReporterOptions,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get json(): boolean {
    return this.options.json;
  }

  /** Human output (tables, summaries). Nothing under `--json`. */
  print(text = ''): void {
    if (this.options.json) return;
    this.aroundBar(() => this.stdout.write(`${text}\n`));
  }

  /** The command's one JSON document. Only under `--json`. */
  emitJson(document: unknown): void {
    if (!this.options.json) return;
    this.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  }

  /** A note for people about what is happening. Not under `--json`. */
  info(text: string): void {
    if (this.options.json) return;
    this.aroundBar(() => this.stderr.write(`${text}\n`));
  }

  warn(text: string): void {
    this.aroundBar(() => this.stderr.write(`warning: ${text}\n`));
  }

  error(text: string): void {
    this.aroundBar(() => this.stderr.write(`error: ${text}\n`));
  }

  debug(text: string): void {
    if (this.options.verbose) this.aroundBar(() => this.stderr.write(`debug: ${text}\n`));
  }

  /** The engine's logger: its notes become ours. */
  logger(): Logger {
    return { info: (m) => this.info(m), warn: (m) => this.warn(m), debug: (m) => this.debug(m) };
  }

  progress(label: string, total?: number): Progress {
    const mode = this.options.progress;
    if (mode === 'off') return { update() {}, finish() {} };
    const started = this.clock();
    const state: ProgressState = { label, done: 0, total, elapsed: 0 };
    let lastDraw = Number.NEGATIVE_INFINITY;
    const bar = { line: '' };
    const draw = (force: boolean) => {
      const now = this.clock();
      if (!force && now - lastDraw < (mode === 'bar' ? BAR_INTERVAL_MS : LINE_INTERVAL_MS)) return;
      lastDraw = now;
      state.elapsed = (now - started) / 1000;
      if (mode === 'bar') {
        // A pseudo-terminal may report 0 columns: assume the classic 80 then.
        bar.line = renderProgressLine(state, Math.max(40, (this.stderr.columns || 80) - 1));
        this.activeBar = bar;
        this.stderr.write(`\r\x1b[2K${bar.line}`);
      } else if (state.elapsed >= LINE_INTERVAL_MS / 1000) {
        // Operations quicker than the interval print no progress at all, only their result.
        this.stderr.write(`${renderProgressText(state)}\n`);
      }
    };
    return {
      update: (done, newTotal) => {
        state.done = done;
        if (newTotal !== undefined) state.total = newTotal;
        draw(false);
      },
      finish: () => {
        if (mode === 'bar' && this.activeBar === bar) {
          this.stderr.write('\r\x1b[2K');
          this.activeBar = undefined;
        }
      },
    };
  }

  /** Writes a line while a bar is showing: clear the bar, write, redraw it below. */
  private aroundBar(write: () => void): void {
    const bar = this.activeBar;
    if (bar) this.stderr.write('\r\x1b[2K');
    write();
    if (bar) this.stderr.write(bar.line);
  }
}

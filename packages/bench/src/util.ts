import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

/** Median of the numbers (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `a / b`, or undefined when either side is missing or not a positive finite number. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !(a > 0) || !(b > 0)) return undefined;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  return a / b;
}

/** Megabytes (10^6) per second. */
export function mbps(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / 1e6 / seconds : Number.NaN;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - started) / 1000, value };
}

export function load1(): number {
  return loadavg()[0] ?? Number.NaN;
}

export interface ShellResult {
  stdout: string;
  stderr: string;
}

/** Runs `command` and measures its wall time and the CPU time (user + system) of its processes. */
export async function shTimed(
  command: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ seconds: number; cpuSeconds: number }> {
  // `times` prints the shell's and then its children's user and system time.
  const { seconds, value } = await timed(() => sh(`${command}\ntimes`, env));
  const last = value.stdout.trim().split('\n').at(-1) ?? '';
  const cpuSeconds = [...last.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (sum, m) => sum + Number(m[1]) * 60 + Number(m[2]),
    0,
  );
  return { seconds, cpuSeconds };
}

/** Runs `fn` in-process, measuring wall time and this process's CPU time (all threads). */
export async function timedCpu<T>(
  fn: () => Promise<T>,
): Promise<{ seconds: number; cpuSeconds: number; value: T }> {
  const cpu = process.cpuUsage();
  const { seconds, value } = await timed(fn);
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, value };
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** `inherit` streams the child's stderr through (it is then not collected). Default `pipe`. */
  stderr?: 'pipe' | 'inherit';
}

/**
 * Runs a program to completion and collects its output. Rejects on a non-zero exit, with the
 * command and the tail of its stderr.
 */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: opts.env ?? process.env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stdio: ['ignore', 'pipe', opts.stderr ?? 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else {
        const why = signal ? `signal ${signal}` : `exit ${code}`;
        const command = [file, ...args].join(' ');
        reject(
          new Error(
            `${command}${opts.cwd ? ` (in ${opts.cwd})` : ''}\nfailed (${why}): ${stderr.trim().slice(-2000)}`,
          ),
        );
      }
    });
  });
}

/**
 * Runs a bash command line with `pipefail` (a failing `aws` in the middle of a pipe fails the
 * whole run). Rejects with the command's stderr on a non-zero exit.
 */
export function sh(
  command: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
): Promise<ShellResult> {
  return run('bash', ['-e', '-o', 'pipefail', '-c', command], { env, ...(cwd ? { cwd } : {}) });
}

/** Quotes one argument for bash. */
export function q(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

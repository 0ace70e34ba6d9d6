// Runs the bundled entry points (dist/*.mjs) the way the GitHub runner does: a fresh `node`
// process per step, inputs as INPUT_* variables, file commands (GITHUB_OUTPUT, GITHUB_STATE,
// GITHUB_STEP_SUMMARY) in files, state handed to the post step as STATE_* variables.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(packageDir, '../..');
export const distDir = path.join(packageDir, 'dist');

export type Entry = 'main' | 'post' | 'restore' | 'save';

let nodeBinary: string | undefined;

/**
 * The Node the action ships on: $S3CACHE_NODE24 when set; else this Node when it has zstd in
 * node:zlib (>= 22.15); else the repository's Node 24 (scripts/node24.sh).
 */
export function actionNode(): string {
  if (nodeBinary) return nodeBinary;
  const fromEnv = process.env.S3CACHE_NODE24;
  if (fromEnv) nodeBinary = fromEnv;
  else if (typeof (zlib as Record<string, unknown>).zstdCompress === 'function')
    nodeBinary = process.execPath;
  else {
    try {
      nodeBinary = execFileSync('sh', [path.join(repoRoot, 'scripts/node24.sh')], {
        encoding: 'utf8',
      }).trim();
    } catch (err) {
      throw new Error(
        `The action runs on Node 24 but this is Node ${process.version} and scripts/node24.sh failed; set S3CACHE_NODE24 to a Node 24 binary. (${(err as Error).message})`,
      );
    }
  }
  return nodeBinary;
}

/** Parses the runner's file-command format: `name=value` lines and `name<<DELIM ... DELIM` blocks. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
      if (i >= lines.length) throw new Error(`file command ${name}: delimiter ${delimiter} never closes`);
      out[name] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`not a file command: ${JSON.stringify(line)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

export interface WorkflowCommands {
  warnings: string[];
  errors: string[];
  debug: string[];
  /** Plain log lines (not workflow commands). */
  log: string[];
}

const unescapeData = (s: string): string =>
  s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');

/** Splits a step's stdout into workflow commands (`::warning::...`) and plain log lines. */
export function parseStdout(stdout: string): WorkflowCommands {
  const out: WorkflowCommands = { warnings: [], errors: [], debug: [], log: [] };
  for (const line of stdout.split(/\r?\n/)) {
    const command = /^::(\w+)(?: [^:]*)?::(.*)$/.exec(line);
    if (!command) {
      if (line !== '') out.log.push(line);
      continue;
    }
    const message = unescapeData(command[2] ?? '');
    if (command[1] === 'warning') out.warnings.push(message);
    else if (command[1] === 'error') out.errors.push(message);
    else if (command[1] === 'debug') out.debug.push(message);
  }
  return out;
}

export interface StepOptions {
  inputs?: Record<string, string>;
  /** Extra environment; `undefined` removes a default (e.g. GITHUB_REF). */
  env?: Record<string, string | undefined>;
  workspace: string;
  /** State from the main step (post steps). */
  state?: Record<string, string>;
  /** The event payload written to GITHUB_EVENT_PATH. */
  event?: unknown;
}

export interface StepResult extends WorkflowCommands {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  /** The whole log, for assertion messages. */
  text: string;
}

/** Environment every step gets: a job on `push` to main of acme/app. */
export function baseEnv(
  workspace: string,
  home: string,
  files: Record<string, string>,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    RUNNER_TEMP: path.join(home, 'tmp'),
    GITHUB_ACTIONS: 'true',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_RUN_ID: '1234',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKSPACE: workspace,
    ...files,
  };
}

/** The runner's INPUT_ variable name: upper case, spaces to `_`, dashes kept. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export async function runStep(entry: Entry, options: StepOptions): Promise<StepResult> {
  const dir = mkdtempSync(path.join(tmpdir(), `s3cache-step-${entry}-`));
  try {
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, 'tmp'), { recursive: true });
    const files = {
      GITHUB_OUTPUT: path.join(dir, 'output'),
      GITHUB_STATE: path.join(dir, 'state'),
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
      GITHUB_EVENT_PATH: path.join(dir, 'event.json'),
    };
    for (const file of Object.values(files)) writeFileSync(file, '');
    writeFileSync(
      files.GITHUB_EVENT_PATH,
      JSON.stringify(options.event ?? { repository: { default_branch: 'main' } }),
    );
    const env: Record<string, string> = baseEnv(options.workspace, home, files);
    for (const [name, value] of Object.entries(options.inputs ?? {})) env[inputVariable(name)] = value;
    for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    const { code, stdout, stderr } = await spawnNode(
      path.join(distDir, `${entry}.mjs`),
      env,
      options.workspace,
    );
    const commands = parseStdout(stdout);
    return {
      code,
      stdout,
      stderr,
      ...commands,
      outputs: parseFileCommands(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
      state: parseFileCommands(readFileSync(files.GITHUB_STATE, 'utf8')),
      summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
      text: `exit ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function spawnNode(
  script: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(actionNode(), [script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The combined action: main step, then (only when it succeeded, post-if: success()) the post step. */
export async function runCombined(
  main: StepOptions,
  post: Partial<StepOptions> & { between?: () => void } = {},
): Promise<{ main: StepResult; post: StepResult | undefined }> {
  const mainResult = await runStep('main', main);
  if (mainResult.code !== 0) return { main: mainResult, post: undefined };
  post.between?.();
  const postResult = await runStep('post', { ...main, ...post, state: mainResult.state });
  return { main: mainResult, post: postResult };
}

// ---------------------------------------------------------------------------------------------
// Workspaces

export function tempDir(label: string): string {
  return mkdtempSync(path.join(tmpdir(), `s3cache-${label}-`));
}

export function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

/** Every regular file below `root` with the sha256 of its content, by relative path. */
export function treeDigest(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  let entries: string[];
  try {
    entries = readdirSync(root, { recursive: true, encoding: 'utf8' });
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const file = path.join(root, name);
    let content: Buffer;
    try {
      content = readFileSync(file);
    } catch {
      continue; // a directory
    }
    out[name.split(path.sep).join('/')] = createHash('sha256').update(content).digest('hex');
  }
  return out;
}

export function randomContent(bytes: number): Buffer {
  return randomBytes(bytes);
}

/** A key unique to one test, so tests sharing a bucket never see each other's entries. */
export function uniqueKey(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

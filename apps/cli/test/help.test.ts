import { describe, expect, it } from 'vitest';
import { run } from './harness.js';

const COMMANDS = ['save', 'restore', 'ls', 'rm', 'stats', 'janitor', 'doctor', 'demo'];

describe('help', () => {
  it('lists every command, the environment and the exit codes', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(result.stdout).toContain('S3CACHE_STORE');
    expect(result.stdout).toContain('Exit codes:');
  });

  it.each(COMMANDS)('%s --help shows options, examples and exit codes', async (command) => {
    const result = await run([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: s3cache ${command}`);
    expect(result.stdout).toMatch(/Examples:\n {2}\$ s3cache /);
    expect(result.stdout).toContain('Exit codes:\n  0  success');
    expect(result.stdout).toContain('  3  cache miss with --fail-on-cache-miss');
    expect(result.stdout).toContain('Global Options:');
    expect(result.stdout).toContain('--json');
  });

  it('fails with exit 2 and a hint on an unknown command or option', async () => {
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const noCommand = await run([]);
    expect(noCommand.code).toBe(2);
    expect(noCommand.stderr).toContain('Usage: s3cache');
  });

  it('reports an unsupported store URL as a usage error, in JSON too', async () => {
    const result = await run(['--store', 'gs://bucket', '--json', 'ls']);
    expect(result.code).toBe(2);
    expect(result.json()).toEqual({
      ok: false,
      error: {
        name: 'UsageError',
        message: expect.stringContaining('unsupported store gs://bucket'),
        exitCode: 2,
      },
    });
  });
});

import { describe, expect, it } from 'vitest';
import { createJsonLogger, JanitorConfigError } from '../src/index.js';

describe('createJsonLogger', () => {
  it('writes one JSON object per line with level, time, message, base and call fields', () => {
    const lines: string[] = [];
    const log = createJsonLogger({
      write: (l) => lines.push(l),
      fields: { service: 'janitor' },
      clock: () => new Date('2026-01-01T00:00:00Z'),
    });
    log.info('listed', { objects: 3 });
    log.error('failed', { error: new JanitorConfigError('bad', { cause: new Error('root') }) });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { level: 'info', time: '2026-01-01T00:00:00.000Z', message: 'listed', service: 'janitor', objects: 3 },
      {
        level: 'error',
        time: '2026-01-01T00:00:00.000Z',
        message: 'failed',
        service: 'janitor',
        error: { name: 'JanitorConfigError', message: 'bad', cause: { name: 'Error', message: 'root' } },
      },
    ]);
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
  });

  it('drops lines below its level', () => {
    const lines: string[] = [];
    const log = createJsonLogger({ write: (l) => lines.push(l), level: 'warn' });
    log.debug('d');
    log.info('i');
    log.warn('w');
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['w']);
  });
});

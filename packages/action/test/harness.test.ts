import { describe, expect, it } from 'vitest';
import { inputVariable, parseFileCommands, parseStdout } from './harness.js';

describe('test harness', () => {
  it('parses both file-command forms', () => {
    const text =
      'plain=value=with=equals\ncache-hit<<ghadelimiter_1\ntrue\nghadelimiter_1\nmulti<<EOF\na\n\nb\nEOF\n';
    expect(parseFileCommands(text)).toEqual({
      plain: 'value=with=equals',
      'cache-hit': 'true',
      multi: 'a\n\nb',
    });
    expect(() => parseFileCommands('x<<D\nnever closed\n')).toThrow(/never closes/);
  });

  it('splits workflow commands from log lines', () => {
    expect(parseStdout('hello\n::warning::a%0Ab\n::error file=x::bad\n::debug::d\n')).toEqual({
      warnings: ['a\nb'],
      errors: ['bad'],
      debug: ['d'],
      log: ['hello'],
    });
  });

  it('names inputs the way the runner does', () => {
    expect(inputVariable('restore-keys')).toBe('INPUT_RESTORE-KEYS');
    expect(inputVariable('enableCrossOsArchive')).toBe('INPUT_ENABLECROSSOSARCHIVE');
  });
});

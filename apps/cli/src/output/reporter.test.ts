import { describe, expect, it } from 'vitest';
import { chooseProgressMode, Reporter } from './reporter.js';

class Sink {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns = 80,
  ) {}
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
}

describe('chooseProgressMode', () => {
  const base = { stderrIsTTY: true, env: {}, json: false, progress: true };
  it('draws bars on a terminal, plain lines when piped, nothing in CI or for scripts', () => {
    expect(chooseProgressMode(base)).toBe('bar');
    expect(chooseProgressMode({ ...base, stderrIsTTY: false })).toBe('lines');
    expect(chooseProgressMode({ ...base, env: { CI: 'true' } })).toBe('off');
    expect(chooseProgressMode({ ...base, env: { CI: 'false' } })).toBe('bar');
    expect(chooseProgressMode({ ...base, env: { TERM: 'dumb' } })).toBe('lines');
    expect(chooseProgressMode({ ...base, json: true })).toBe('off');
    expect(chooseProgressMode({ ...base, progress: false })).toBe('off');
  });
});

describe('Reporter', () => {
  it('keeps stdout for results: text for people, or exactly one JSON document', () => {
    const human = { out: new Sink(), err: new Sink() };
    const r = new Reporter(human.out, human.err, { json: false, verbose: false, progress: 'off' });
    r.print('result');
    r.emitJson({ ignored: true });
    r.info('note');
    r.warn('careful');
    r.debug('hidden');
    expect(human.out.text).toBe('result\n');
    expect(human.err.text).toBe('note\nwarning: careful\n');

    const script = { out: new Sink(), err: new Sink() };
    const j = new Reporter(script.out, script.err, { json: true, verbose: true, progress: 'off' });
    j.print('result');
    j.info('note');
    j.emitJson({ ok: true });
    j.warn('careful');
    j.debug('shown');
    expect(JSON.parse(script.out.text)).toEqual({ ok: true });
    expect(script.err.text).toBe('warning: careful\ndebug: shown\n');
  });

  it('redraws a bar in place, throttled, and clears it around other output', () => {
    const err = new Sink(true, 60);
    let now = 0;
    const r = new Reporter(new Sink(), err, { json: false, verbose: false, progress: 'bar' }, () => now);
    const bar = r.progress('save', 1000);
    bar.update(100);
    now = 50;
    bar.update(200); // within 100 ms of the last draw: skipped
    now = 300;
    bar.update(500);
    r.warn('mid-way');
    bar.finish();
    const frames = err.text.split('\r\x1b[2K');
    expect(frames.filter((f) => f.startsWith('save'))).toHaveLength(2); // the 200-byte update was throttled
    expect(err.text).toContain('10%');
    expect(err.text).not.toContain('20%');
    // The warning clears the bar, prints on its own line, and the bar comes back below it.
    const afterWarning = err.text.split('\r\x1b[2Kwarning: mid-way\n')[1] ?? '';
    expect(afterWarning).toMatch(/^save {2}\[.*50%/);
    expect(err.text.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('prints an occasional plain line when not on a terminal, and nothing for quick operations', () => {
    const err = new Sink();
    let now = 0;
    const r = new Reporter(new Sink(), err, { json: false, verbose: false, progress: 'lines' }, () => now);
    const quick = r.progress('save', 100);
    quick.update(50);
    quick.finish();
    expect(err.text).toBe('');
    const slow = r.progress('restore', 100);
    now = 6000;
    slow.update(60);
    now = 7000;
    slow.update(70);
    now = 12_000;
    slow.update(90);
    expect(err.text).toBe('restore: 60 B of 100 B (60%)\nrestore: 90 B of 100 B (90%)\n');
  });

  it('does nothing at all when progress is off', () => {
    const err = new Sink(true);
    const r = new Reporter(new Sink(), err, { json: false, verbose: false, progress: 'off' });
    const p = r.progress('x', 1);
    p.update(1);
    p.finish();
    expect(err.text).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { State } from '../src/constants.js';
import { saveDecision } from '../src/policy.js';
import { OutputStateProvider, RunnerStateProvider } from '../src/state.js';

describe('state providers', () => {
  it('keeps state in runner state for the combined action', () => {
    const saved = new Map<string, string>();
    const provider = new RunnerStateProvider(
      (name, value) => saved.set(name, value),
      (name) => saved.get(name) ?? '',
    );
    provider.setState(State.CachePrimaryKey, 'primary');
    provider.setState(State.CacheMatchedKey, 'matched');
    expect(Object.fromEntries(saved)).toEqual({ CACHE_KEY: 'primary', CACHE_RESULT: 'matched' });
    expect(provider.getState(State.CachePrimaryKey)).toBe('primary');
  });

  it('turns state into the restore outputs when there is no post step', () => {
    const outputs = new Map<string, string>();
    const provider = new OutputStateProvider((name, value) => outputs.set(name, value));
    provider.setState(State.CachePrimaryKey, 'primary');
    provider.setState(State.CacheMatchedKey, 'matched');
    expect(Object.fromEntries(outputs)).toEqual({
      'cache-primary-key': 'primary',
      'cache-matched-key': 'matched',
    });
    expect(provider.getState(State.CacheMatchedKey)).toBe('');
  });
});

describe('save decision', () => {
  const base = { primaryKey: 'Deps-1', useDeltas: false, lookupOnly: false };

  it('saves after a miss or a restore-key match', () => {
    expect(saveDecision({ ...base, restoredKey: '' })).toEqual({ save: true });
    expect(saveDecision({ ...base, restoredKey: 'Deps-' })).toEqual({ save: true });
    expect(saveDecision({ ...base, restoredKey: 'Deps-1-extra' })).toEqual({ save: true });
  });

  it('skips an exact hit (compared case-insensitively) without deltas', () => {
    expect(saveDecision({ ...base, restoredKey: 'deps-1' })).toEqual({
      save: false,
      reason: 'Cache hit occurred on the primary key Deps-1, not saving cache.',
    });
  });

  it('saves an exact hit with deltas (only changes are uploaded)', () => {
    expect(saveDecision({ ...base, useDeltas: true, restoredKey: 'Deps-1' })).toEqual({
      save: true,
      note: 'Cache hit on the primary key Deps-1: saving only what changed (use-deltas).',
    });
  });

  it('never saves an exact lookup-only hit: nothing was restored', () => {
    const decision = saveDecision({ ...base, useDeltas: true, lookupOnly: true, restoredKey: 'Deps-1' });
    expect(decision.save).toBe(false);
  });
});

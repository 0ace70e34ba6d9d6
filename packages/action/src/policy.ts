import { isExactKeyMatch } from '@s3cache/core';

export interface SaveDecisionInput {
  primaryKey: string;
  /** The key the restore step matched ('' when it missed or did not run). */
  restoredKey: string;
  useDeltas: boolean;
  lookupOnly: boolean;
}

export type SaveDecision = { save: true; note?: string } | { save: false; reason: string };

/**
 * Whether the save half should save. As actions/cache: an exact hit on the primary key is not
 * saved again, except with deltas, where the engine uploads only the chunks that changed (or
 * nothing). A lookup-only hit restored nothing, so saving it would store whatever the job made
 * from scratch as the entry's newest generation: never.
 */
export function saveDecision(input: SaveDecisionInput): SaveDecision {
  const key = input.primaryKey;
  if (!isExactKeyMatch(key, input.restoredKey || undefined)) return { save: true };
  if (input.lookupOnly) {
    return {
      save: false,
      reason: `Cache hit on the primary key ${key} with lookup-only: nothing was restored, not saving cache.`,
    };
  }
  if (!input.useDeltas)
    return { save: false, reason: `Cache hit occurred on the primary key ${key}, not saving cache.` };
  return { save: true, note: `Cache hit on the primary key ${key}: saving only what changed (use-deltas).` };
}

import * as core from '@actions/core';
import { Outputs, State, type StateName } from './constants.js';

/**
 * The seam that lets one restore/save implementation serve all three entry points (as in
 * actions/cache). The combined action keeps the primary and matched keys in runner state for its
 * post step; `restore` and `save` alone have no post step, so `restore` publishes the keys as
 * outputs instead and `save` finds no state.
 */
export interface StateProvider {
  setState(name: StateName, value: string): void;
  getState(name: StateName): string;
}

type SaveState = (name: string, value: string) => void;
type GetState = (name: string) => string;
type SetOutput = (name: string, value: string) => void;

/** Runner state (GITHUB_STATE in the main step, STATE_* variables in the post step). */
export class RunnerStateProvider implements StateProvider {
  constructor(
    private readonly save: SaveState = core.saveState,
    private readonly get: GetState = core.getState,
  ) {}

  setState(name: StateName, value: string): void {
    this.save(name, value);
  }

  getState(name: StateName): string {
    return this.get(name);
  }
}

const STATE_TO_OUTPUT: Record<StateName, string> = {
  [State.CachePrimaryKey]: Outputs.CachePrimaryKey,
  [State.CacheMatchedKey]: Outputs.CacheMatchedKey,
};

/** No state: what would be state becomes the `cache-primary-key` / `cache-matched-key` outputs. */
export class OutputStateProvider implements StateProvider {
  constructor(private readonly setOutput: SetOutput = core.setOutput) {}

  setState(name: StateName, value: string): void {
    this.setOutput(STATE_TO_OUTPUT[name], value);
  }

  getState(_name: StateName): string {
    return '';
  }
}

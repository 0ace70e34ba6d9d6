import type { Command } from 'commander';
import type { CommandContext } from './context.js';

/** A command's handler: its own options (as commander parsed them) and the shared context. */
export type Handler<O> = (ctx: CommandContext, options: O, command: Command) => Promise<void>;

/** Wraps a handler into a commander action (see main.ts, which builds the context). */
export type Action = <O>(handler: Handler<O>) => (...args: unknown[]) => Promise<void>;

/** Collects a repeatable option into an array (commander's documented idiom). */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

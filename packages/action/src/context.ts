import { readFileSync } from 'node:fs';
import { CLEAR_CACHE_TAG } from './constants.js';
import type { Env } from './inputs.js';

/** What the runner tells a step about the run, read from its environment and event payload. */
export interface RunContext {
  /** GITHUB_REF: the scope written to and read first. */
  ref?: string;
  /** GITHUB_BASE_REF (pull requests), or the merge group's base (merge queues). */
  baseRef?: string;
  defaultBranch?: string;
  /** GITHUB_REPOSITORY (owner/name). */
  repository?: string;
  workspace: string;
  eventName?: string;
  /** The head commit's message (push events only). */
  headCommitMessage?: string;
}

/** The parts of a webhook event payload that matter here. */
export interface EventFacts {
  defaultBranch?: string;
  headCommitMessage?: string;
  mergeGroupBaseRef?: string;
}

/** Reads the facts from a payload; a payload that is missing or not JSON has none. */
export function parseEventPayload(text: string | undefined): EventFacts {
  if (!text) return {};
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return {};
  }
  const str = (value: unknown): string | undefined =>
    typeof value === 'string' && value ? value : undefined;
  const get = (value: unknown, key: string): unknown =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  const defaultBranch = str(get(get(payload, 'repository'), 'default_branch'));
  const headCommitMessage = str(get(get(payload, 'head_commit'), 'message'));
  const mergeGroupBaseRef = str(get(get(payload, 'merge_group'), 'base_ref'));
  return {
    ...(defaultBranch ? { defaultBranch } : {}),
    ...(headCommitMessage ? { headCommitMessage } : {}),
    ...(mergeGroupBaseRef ? { mergeGroupBaseRef } : {}),
  };
}

export function readRunContext(
  env: Env,
  readFile: (path: string) => string | undefined = readOptionalFile,
  cwd: () => string = process.cwd,
): RunContext {
  const eventPath = env.GITHUB_EVENT_PATH;
  const facts = parseEventPayload(eventPath ? readFile(eventPath) : undefined);
  const value = (name: string): string | undefined => env[name]?.trim() || undefined;
  const baseRef = value('GITHUB_BASE_REF') ?? facts.mergeGroupBaseRef;
  const fields = {
    ref: value('GITHUB_REF'),
    baseRef,
    defaultBranch: facts.defaultBranch,
    repository: value('GITHUB_REPOSITORY'),
    eventName: value('GITHUB_EVENT_NAME'),
    headCommitMessage: facts.headCommitMessage,
  };
  const context: RunContext = { workspace: value('GITHUB_WORKSPACE') ?? cwd() };
  for (const [name, field] of Object.entries(fields)) {
    if (field !== undefined) Object.assign(context, { [name]: field });
  }
  return context;
}

/** A context the cache can run in: it has a ref (the scope) and a repository. */
export interface SupportedRun extends RunContext {
  ref: string;
  repository: string;
}

export function isSupported(context: RunContext): context is SupportedRun {
  return unsupportedReason(context) === undefined;
}

/**
 * Why the cache cannot run in this context (a warning, never a failure), or undefined when it
 * can. actions/cache: an event without a ref is not tied to a branch or tag.
 */
export function unsupportedReason(context: RunContext): string | undefined {
  if (!context.ref) {
    return `Event Validation Error: the event type ${context.eventName ?? '(unknown)'} is not supported because it's not tied to a branch or tag ref (GITHUB_REF is not set). The cache is skipped.`;
  }
  if (!context.repository) {
    return 'GITHUB_REPOSITORY is not set: s3cache runs inside GitHub Actions jobs only. The cache is skipped.';
  }
  return undefined;
}

/** Clearing is asked for by the input or by the tag in the head commit's message (push events). */
export function clearRequest(clearInput: boolean, headCommitMessage: string | undefined): string | undefined {
  if (clearInput) return 'clear-cache: true';
  if (headCommitMessage?.includes(CLEAR_CACHE_TAG)) return `${CLEAR_CACHE_TAG} in the head commit message`;
  return undefined;
}

function readOptionalFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

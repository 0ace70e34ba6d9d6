import type { LifecycleRule } from '@aws-sdk/client-s3';
import { type BucketFacts, type CheckResult, cannotCheck } from './facts.js';

/** The lifecycle checks: the age backstops the cache relies on, in the shapes S3 accepts. */

interface TagRef {
  Key?: string | undefined;
  Value?: string | undefined;
}

function tagsOf(rule: LifecycleRule): TagRef[] {
  return [...(rule.Filter?.Tag ? [rule.Filter.Tag] : []), ...(rule.Filter?.And?.Tags ?? [])];
}

function prefixOf(rule: LifecycleRule): string {
  return rule.Filter?.Prefix ?? rule.Filter?.And?.Prefix ?? rule.Prefix ?? '';
}

function ruleName(rule: LifecycleRule, index: number): string {
  return rule.ID ? `"${rule.ID}"` : `#${index + 1}`;
}

function expirationDays(rule: LifecycleRule): number | undefined {
  const days = rule.Expiration?.Days;
  return typeof days === 'number' && days > 0 ? days : undefined;
}

/** The ages in lifecycle expressions are backstops: the janitor evicts earlier. */
export function checkLifecycle({ bucket, prefix, lifecycle }: BucketFacts): CheckResult[] {
  const base = { id: 'lifecycle', title: 'Lifecycle rules' };
  const example = lifecycleExample(prefix);
  const fix = `aws s3api put-bucket-lifecycle-configuration --bucket ${bucket} --lifecycle-configuration file://lifecycle.json with\n${example}`;
  if (!lifecycle.ok) {
    const skipped = cannotCheck(base, lifecycle.error, 's3:GetLifecycleConfiguration');
    if (skipped) return [skipped];
    return [
      {
        ...base,
        status: 'fail',
        detail: 'no lifecycle configuration: expired deltas and abandoned uploads are never removed',
        fix,
      },
    ];
  }
  const rules = lifecycle.value;
  const storePrefix = prefix ? `${prefix.replace(/\/+$/, '')}/` : '';
  const covers = (rule: LifecycleRule) => storePrefix.startsWith(prefixOf(rule));
  const enabled = rules
    .map((rule, index) => ({ rule, index }))
    .filter(({ rule }) => rule.Status === 'Enabled');
  const results: CheckResult[] = [];

  const expiryFor = (type: string, id: string, title: string): CheckResult => {
    const candidates = enabled.filter(({ rule }) =>
      tagsOf(rule).some((t) => t.Key === 'type' && t.Value === type),
    );
    const good = candidates.find(({ rule }) => expirationDays(rule) !== undefined && covers(rule));
    if (good) {
      return {
        id,
        title,
        status: 'ok',
        detail: `rule ${ruleName(good.rule, good.index)} expires type=${type} after ${expirationDays(good.rule)} days`,
      };
    }
    const disabled = rules.find(
      (r) => r.Status !== 'Enabled' && tagsOf(r).some((t) => t.Key === 'type' && t.Value === type),
    );
    const why = disabled
      ? `the rule for type=${type} is ${disabled.Status ?? 'not enabled'}`
      : candidates.length > 0
        ? `the rule for type=${type} has no expiration in days, or does not cover the prefix "${storePrefix}"`
        : `no enabled rule expires objects tagged type=${type}`;
    return { id, title, status: 'fail', detail: why, fix };
  };
  const delta = expiryFor('delta-archive', 'lifecycle-delta', 'Lifecycle: delta archives expire');
  const baseRule = expiryFor('base', 'lifecycle-base', 'Lifecycle: base archives expire');
  results.push(delta, baseRule);

  const days = (type: string) =>
    enabled
      .filter(({ rule }) => tagsOf(rule).some((t) => t.Key === 'type' && t.Value === type))
      .map(({ rule }) => expirationDays(rule))
      .find((d) => d !== undefined);
  const deltaDays = days('delta-archive');
  const baseDays = days('base');
  if (deltaDays !== undefined && baseDays !== undefined && deltaDays > baseDays) {
    results.push({
      id: 'lifecycle-order',
      title: 'Lifecycle: deltas expire before bases',
      status: 'warn',
      detail: `deltas live ${deltaDays} days, bases ${baseDays}: a delta cannot outlive the base it needs`,
      fix: 'make the delta-archive expiration shorter than the base expiration (defaults: 7 and 30 days)',
    });
  }

  const abortTitle = 'Lifecycle: incomplete uploads aborted';
  const abort = enabled.find(
    ({ rule }) =>
      rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined &&
      tagsOf(rule).length === 0 &&
      covers(rule),
  );
  if (!abort) {
    results.push({
      id: 'lifecycle-abort',
      title: abortTitle,
      status: 'fail',
      detail:
        'no enabled, unfiltered rule aborts incomplete multipart uploads: failed uploads are billed forever',
      fix,
    });
  } else if (abort.rule.Expiration) {
    results.push({
      id: 'lifecycle-abort',
      title: abortTitle,
      status: 'warn',
      detail: `rule ${ruleName(abort.rule, abort.index)} aborts uploads but also expires every object it covers, manifests included`,
      fix: 'keep AbortIncompleteMultipartUpload in its own rule without Expiration',
    });
  } else {
    results.push({
      id: 'lifecycle-abort',
      title: abortTitle,
      status: 'ok',
      detail: `rule ${ruleName(abort.rule, abort.index)} aborts after ${abort.rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation} days`,
    });
  }

  const mixed = rules
    .map((rule, index) => ({ rule, index }))
    .filter(({ rule }) => rule.AbortIncompleteMultipartUpload !== undefined && tagsOf(rule).length > 0);
  results.push(
    mixed.length === 0
      ? {
          id: 'lifecycle-mixed',
          title: 'Lifecycle: no tag filter mixed with abort',
          status: 'ok',
          detail: 'none',
        }
      : {
          id: 'lifecycle-mixed',
          title: 'Lifecycle: no tag filter mixed with abort',
          status: 'fail',
          detail: `rule ${mixed.map(({ rule, index }) => ruleName(rule, index)).join(', ')} combines a tag filter with AbortIncompleteMultipartUpload, which S3 rejects`,
          fix: 'move AbortIncompleteMultipartUpload into its own rule without a tag filter',
        },
  );
  return results;
}

export function lifecycleExample(prefix: string): string {
  const p = prefix ? `${prefix.replace(/\/+$/, '')}/` : '';
  const filter = (type: string) =>
    p ? { And: { Prefix: p, Tags: [{ Key: 'type', Value: type }] } } : { Tag: { Key: 'type', Value: type } };
  return JSON.stringify({
    Rules: [
      {
        ID: 'expire-delta-archives',
        Status: 'Enabled',
        Filter: filter('delta-archive'),
        Expiration: { Days: 7 },
      },
      { ID: 'expire-bases', Status: 'Enabled', Filter: filter('base'), Expiration: { Days: 30 } },
      {
        ID: 'expire-access-markers',
        Status: 'Enabled',
        Filter: filter('access-marker'),
        Expiration: { Days: 31 },
      },
      {
        ID: 'abort-incomplete-multipart-uploads',
        Status: 'Enabled',
        Filter: {},
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
    ],
  });
}

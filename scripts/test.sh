#!/bin/sh
# The test command (`npm test`). From a fresh clone it:
#   1. installs dependencies with the pinned pnpm (frozen lockfile),
#   2. builds, lints (biome) and typechecks,
#   3. starts a real S3 (scripts/s3-lab.sh; stopped again on exit, also on failure or Ctrl-C),
#   4. runs every vitest project under this machine's Node,
#   5. runs the projects that ship on Node 24 (core, action, janitor-lambda) again under Node 24,
# and ends with one line `Total: N passed, N failed, N skipped`. Passed/skipped count tests; every
# failed test counts as failed, and so does each failed step (build, lint, typecheck, S3 start), so
# the exit status is non-zero exactly when "failed" is not 0.
#
# Extra arguments go to both vitest runs, e.g. `sh scripts/test.sh packages/core/test/s3-server`.
# Environment:
#   S3CACHE_TEST_ENDPOINT (+ _ACCESS_KEY_ID, _SECRET_ACCESS_KEY, _REGION)  use this S3, start no lab
#   S3CACHE_TEST_SKIP_S3=1   no S3 at all: S3 tests are skipped (never do this in CI)
#   S3CACHE_LAB_DIR          lab dir (default: .lab/test-<pid>, so parallel runs do not collide)
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

started=$(date +%s)
results=$(mktemp -d "${TMPDIR:-/tmp}/s3cache-test.XXXXXX")
passed=0
failed=0
skipped=0
report= # one line per step, printed before the total
lab_started=

note() { report="$report$1
"; }

# Runs a step; a failure is recorded and counted, and the remaining steps still run.
step() {
  name=$1
  shift
  echo
  echo "==> $name"
  t0=$(date +%s)
  if "$@"; then
    note "  ok      $name ($(($(date +%s) - t0))s)"
  else
    note "  FAILED  $name ($(($(date +%s) - t0))s)"
    failed=$((failed + 1))
  fi
}

finish() {
  echo
  echo "==> Summary ($(($(date +%s) - started))s)"
  printf '%s' "$report"
  line="Total: $passed passed, $failed failed"
  [ "$skipped" -eq 0 ] || line="$line, $skipped skipped"
  echo "$line"
  [ "$failed" -eq 0 ]
}

cleanup() {
  if [ -n "$lab_started" ]; then
    lab_started=
    sh scripts/s3-lab.sh stop || echo "test.sh: could not stop the S3 lab in $S3CACHE_LAB_DIR" >&2
  fi
  rm -rf "$results"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Nothing else can run without dependencies.
step "install (pnpm install --frozen-lockfile)" sh scripts/pnpm.sh install --frozen-lockfile
if [ "$failed" -ne 0 ]; then
  finish
  exit 1
fi

step "build (turbo run build)" sh scripts/pnpm.sh exec turbo run build --output-logs=errors-only
step "lint (biome check .)" sh scripts/pnpm.sh exec biome check .
step "typecheck (turbo run typecheck)" sh scripts/pnpm.sh exec turbo run typecheck --output-logs=errors-only

start_lab() {
  sh scripts/s3-lab.sh start || return 1
  env_lines=$(sh scripts/s3-lab.sh env) || return 1
  eval "$env_lines"
}
if [ "${S3CACHE_TEST_SKIP_S3:-}" = 1 ]; then
  note "  skip    S3: S3CACHE_TEST_SKIP_S3=1, S3 tests are skipped"
elif [ -n "${S3CACHE_TEST_ENDPOINT:-}" ] && [ -z "${S3CACHE_TEST_LAB_DIR:-}" ]; then
  note "  ok      S3: using S3CACHE_TEST_ENDPOINT=$S3CACHE_TEST_ENDPOINT"
else
  # Variables of a lab this shell sourced earlier must not leak into ours.
  unset S3CACHE_TEST_ENDPOINT S3CACHE_TEST_ACCESS_KEY_ID S3CACHE_TEST_SECRET_ACCESS_KEY S3CACHE_TEST_REGION \
    S3CACHE_TEST_LIFECYCLE_FAST S3CACHE_TEST_STS S3CACHE_TEST_LAB_DIR
  export S3CACHE_LAB_DIR="${S3CACHE_LAB_DIR:-$root/.lab/test-$$}"
  lab_started=1
  step "S3 lab (scripts/s3-lab.sh start)" start_lab
fi

# Vitest, reporting to the terminal and to a JSON file that is counted afterwards. Two workers
# for two cores; timeouts come from each project's vitest config.
vitest_run() {
  label=$1
  node_bin=$2
  shift 2
  "$node_bin" node_modules/vitest/vitest.mjs run --maxWorkers=2 \
    --passWithNoTests --reporter=default --reporter=json --outputFile.json="$results/$label.json" "$@"
  status=$?
  # Prints "passed failed skipped". A file that failed without a failing test (an import error, a
  # failing beforeAll) counts its tests, or at least one, as failed; so does a failing exit status
  # with no failure in the JSON (unhandled errors, a crash before the report was written).
  counts=$(node -e '
    const fs = require("node:fs");
    const [file, status] = [process.argv[1], Number(process.argv[2])];
    let passed = 0, failed = 0, skipped = 0;
    if (fs.existsSync(file)) {
      for (const suite of JSON.parse(fs.readFileSync(file, "utf8")).testResults) {
        const by = (s) => suite.assertionResults.filter((a) => a.status === s).length;
        const [p, f] = [by("passed"), by("failed")];
        const notRun = suite.assertionResults.length - p - f;
        passed += p;
        failed += f;
        if (suite.status === "failed" && f === 0) failed += Math.max(1, notRun);
        else skipped += notRun;
      }
    }
    if (status !== 0 && failed === 0) failed = 1;
    console.log(passed, failed, skipped);
  ' "$results/$label.json" "$status")
  set -- $counts
  passed=$((passed + $1))
  failed=$((failed + $2))
  skipped=$((skipped + $3))
  note "  $( [ "$2" -eq 0 ] && echo 'ok    ' || echo 'FAILED') tests, $label: $1 passed, $2 failed, $3 skipped"
}

echo
echo "==> vitest, all projects, Node $(node --version)"
vitest_run "node-$(node --version | cut -d. -f1 | tr -d v)" node "$@"

echo
echo "==> vitest, projects shipping on Node 24"
if node24=$(sh scripts/node24.sh); then
  vitest_run node-24 "$node24" --project core --project action --project janitor-lambda "$@"
else
  note "  FAILED  Node 24 (scripts/node24.sh)"
  failed=$((failed + 1))
fi

finish

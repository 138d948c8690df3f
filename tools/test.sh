#!/usr/bin/env bash
# The one test command: installs what is missing, builds, and runs every test.
#   1. Release build (with always-on invariants), every test through ctest, a power-loss soak;
#   2. ThreadSanitizer build of the pipeline's concurrency tests and of tallyd end to end;
#   3. AddressSanitizer + UndefinedBehaviorSanitizer build of every test;
#   4. every libFuzzer target for a bounded time (tools/fuzz.sh, build-fuzz).
# TALLY_TEST_STAGES picks stages (default "release tsan asan fuzz"). Build trees: build-test-*.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh

jobs="${TALLY_BUILD_JOBS:-2}"
stages="${TALLY_TEST_STAGES:-release tsan asan fuzz}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.ccache}"

configure_and_build() {
  local directory="$1" build_type="$2" sanitize="$3" target="$4"
  cmake -S . -B "$directory" -DCMAKE_BUILD_TYPE="$build_type" -DTALLY_SANITIZE="$sanitize" \
    -DTALLY_BUILD_BENCHMARKS="$5" >/dev/null
  cmake --build "$directory" -j"$jobs" --target "$target"
}

started=$SECONDS
for stage in $stages; do
  echo "=== test stage: $stage (at $((SECONDS - started)) s) ==="
  case "$stage" in
    release)
      configure_and_build build-test-release Release "" all ON
      ctest --test-dir build-test-release --output-on-failure -j"$jobs"
      # The power-loss simulation beyond ctest's 300 seeds (docs/power-loss.md): about 30 s.
      soak_seeds=3000
      [ "${CI:-}" = true ] || soak_seeds="${TALLY_POWER_LOSS_SOAK:-3000}"
      ./build-test-release/tests/tally-power-loss --first 100001 --count "$soak_seeds" --lives 6
      # The benchmarks must at least run: one short pass of each family.
      ./build-test-release/bench/tally-bench \
        --benchmark_filter='^(BusinessLogicMixed|PipelineMixed|MutexBaseline)/batch:64(/wait:adaptive)?(/retry_window:1048576)?/iterations'
      ;;
    tsan)
      configure_and_build build-test-tsan RelWithDebInfo thread pipeline_tests OFF
      cmake --build build-test-tsan -j"$jobs" --target net_tests net_unit_tests http_tests
      # tallyd inherits TSAN_OPTIONS; its reports land in its log, which the tests check.
      TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
        ctest --test-dir build-test-tsan --output-on-failure \
        -R 'OutcomeRing|Pipeline|Recovery|Snapshotter|Projector|Tallyd|Connection|ReadSide|ResponseRouter|HttpServer|Subscription'
      ;;
    asan)
      configure_and_build build-test-asan Debug "address,undefined" all OFF
      # The crash test kills its driver 50 times in the release stage; here 15 kills put the
      # same recovery paths under ASan in a third of the time. The power-loss simulation runs
      # 100 seeds of its own (5001-5100) instead of the release stage's 300 (122 s under ASan).
      TALLY_CRASH_RUNS=15 TALLY_POWER_LOSS_SEEDS=100 TALLY_POWER_LOSS_FIRST_SEED=5001 \
        ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1" \
        ctest --test-dir build-test-asan --output-on-failure -j"$jobs"
      ;;
    fuzz)
      # Nine targets, 20 s each, two at a time: under 2 minutes, 6 with a cold build, on 2
      # cores (the whole run is near CI's 45-minute budget). CI keeps this bound;
      # TALLY_FUZZ_SECONDS runs longer locally (docs/fuzzing.md).
      fuzz_seconds=20
      [ "${CI:-}" = true ] || fuzz_seconds="${TALLY_FUZZ_SECONDS:-20}"
      TALLY_FUZZ_PARALLEL=2 TALLY_BUILD_JOBS="$jobs" tools/fuzz.sh "$fuzz_seconds"
      ;;
    *)
      echo "unknown test stage: $stage" >&2
      exit 2
      ;;
  esac
done
echo "=== all stages passed in $((SECONDS - started)) s ==="

#!/usr/bin/env bash
# Fuzzing (docs/fuzzing.md): builds the libFuzzer targets of tests/fuzz with clang, ASan and
# UBSan into build-fuzz (ccache), runs each for a bounded time, prints executions and coverage.
#
#   tools/fuzz.sh [seconds per target, default 60] [target ...]     (default: every target)
#
# Each target starts from its committed corpus, tests/fuzz/corpus/<target>, which it only reads:
# what it finds goes to a scratch directory, so a run never grows the repository.
# TALLY_FUZZ_PARALLEL: targets run at once (default 1; each takes one core).
# TALLY_FUZZ_WORK: where the scratch corpora and logs go (default: a temporary directory,
# removed afterwards); keep it to resume a long campaign from what it had found.
# TALLY_FUZZ_BUILD: the build tree (default build-fuzz); a long campaign can have its own, so
# that rebuilding build-fuzz meanwhile does not change the binaries it runs.
# Exit 1 if a target crashed, leaked, ran out of time or memory on one input, or broke one of
# its properties: the input is kept in <build tree>/artifacts/, and the command that reproduces
# it is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
all_targets=(request frame_reader event_codec record_codec journal_scan snapshot amount time_text
  batch_input)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
parallel="${TALLY_FUZZ_PARALLEL:-1}"
jobs="${TALLY_BUILD_JOBS:-2}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

# clang sees other warnings than gcc; the gcc builds keep them errors.
build="${TALLY_FUZZ_BUILD:-build-fuzz}"
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTALLY_SANITIZE=address,undefined -DTALLY_FUZZ=ON -DTALLY_WARNINGS_AS_ERRORS=OFF \
  -DTALLY_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j"$jobs" --target $(printf '%s_fuzz ' "${targets[@]}")

work="${TALLY_FUZZ_WORK:-}"
if [ -z "$work" ]; then
  work="$(mktemp -d -t tally-fuzz-XXXXXX)"
  trap 'rm -rf "$work"' EXIT
fi
artifacts="$PWD/$build/artifacts"
mkdir -p "$artifacts"

# run_target <target>: fuzzes it for $seconds; its log is $work/<target>.log.
run_target() {
  local target="$1" dictionary=()
  mkdir -p "$work/corpus/$target"
  [ -f "tests/fuzz/$target.dict" ] && dictionary=(-dict="tests/fuzz/$target.dict")
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0" UBSAN_OPTIONS="print_stacktrace=1" \
    "$build/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -print_final_stats=1 \
    -timeout=30 -rss_limit_mb=2048 "${dictionary[@]}" -artifact_prefix="$artifacts/$target-" \
    "$work/corpus/$target" "tests/fuzz/corpus/$target" >"$work/$target.log" 2>&1
}

echo "fuzzing ${#targets[@]} targets, ${seconds} s each, ${parallel} at a time"
declare -A status
running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  (run_target "$target" && echo 0 >"$work/$target.status" || echo $? >"$work/$target.status") &
  running=$((running + 1))
done
wait

# The figures of one run, from libFuzzer's last status line and its final stats.
stat_of() { sed -n "s/^stat::$2: *//p" "$work/$1.log" | tail -1; }
field_of() { grep -E '(DONE|pulse|NEW|REDUCE|INITED) +cov:' "$work/$1.log" | tail -1 |
  sed -n "s/.* $2: \([^ ]*\).*/\1/p"; }

failed=0
total=0
printf '%-14s %14s %10s %8s %8s %8s  %s\n' target executions exec/s cov ft corpus result
for target in "${targets[@]}"; do
  executions="$(stat_of "$target" number_of_executed_units)"
  executions="${executions:-0}"
  total=$((total + executions))
  result=ok
  if [ "$(cat "$work/$target.status")" != 0 ]; then
    result="FAILED (exit $(cat "$work/$target.status"))"
    failed=1
  fi
  printf '%-14s %14s %10s %8s %8s %8s  %s\n' "$target" "$executions" \
    "$(stat_of "$target" average_exec_per_sec)" "$(field_of "$target" cov)" \
    "$(field_of "$target" ft)" "$(field_of "$target" corp)" "$result"
done
echo "total executions: $total"

for target in "${targets[@]}"; do
  if [ "$(cat "$work/$target.status")" != 0 ]; then
    echo "=== $target failed; the end of its log:"
    grep -v -E '^#[0-9]+ ' "$work/$target.log" | tail -40
    echo "reproduce: $build/tests/fuzz/${target}_fuzz <the input named on its 'Test unit written to' line>"
  fi
done
exit "$failed"

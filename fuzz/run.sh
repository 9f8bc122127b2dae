#!/usr/bin/env bash
# Fuzzes every reader (or the targets named) for a bounded time each, with cargo-fuzz on nightly.
#
#   fuzz/run.sh            60 s per target
#   fuzz/run.sh 600        10 minutes per target
#   fuzz/run.sh 30 plan    one target
#
# Each target starts from its committed seeds (seeds/TARGET, never written to) and keeps what it
# finds in corpus/TARGET (not committed). An input that panics, takes longer than 10 s or asks for
# more than 1 GiB at once is a crash: libFuzzer writes it to artifacts/TARGET/ and the script goes
# on with the other targets, then exits 1. Replay one with `cargo +nightly fuzz run TARGET FILE`.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
# The committed Cargo.lock holds: fail rather than build other versions than it names.
cargo +nightly metadata --locked --format-version 1 >/dev/null
flags=(-O -s none) # release, debug assertions and overflow checks from Cargo.toml; no AddressSanitizer: the readers forbid unsafe code
cargo +nightly fuzz build "${flags[@]}"
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi
failed=()
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== fuzzing $t for $secs s"
  rc=0
  cargo +nightly fuzz run "${flags[@]}" "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -print_final_stats=1 >"corpus/$t.log" 2>&1 || rc=$?
  grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb|SUMMARY)|panicked at' "corpus/$t.log" || true
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    echo "== $t FAILED (exit $rc): see fuzz/corpus/$t.log and fuzz/artifacts/$t/"
    grep -A3 -E 'panicked at|ERROR: libFuzzer' "corpus/$t.log" | head -20 || true
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzzing: ${#targets[@]} targets, $secs s each, no crash"

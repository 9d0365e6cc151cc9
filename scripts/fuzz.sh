#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) with cargo-fuzz on libFuzzer,
# installing cargo-fuzz if missing. On stable Rust it runs without sanitizers (`-s none`).
# Inputs that find new paths go to fuzz/work/TARGET (not kept in git; the seeds in
# fuzz/corpus/TARGET are read too); a crash is written under fuzz/artifacts/TARGET: copy
# it to fuzz/regressions/TARGET/ with the fix, so the stable test
# (crates/cs-fuzz/tests/corpus.rs) keeps checking it.
#
#   bash scripts/fuzz.sh            # every target, 60 s each
#   bash scripts/fuzz.sh 300 jsonl_log http_body
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(event_record jsonl_log config_text scenario_text sqlite_file http_body commands)
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
cd fuzz
for t in "${targets[@]}"; do
  echo "== $t: ${seconds} s"
  mkdir -p "work/$t"
  cargo fuzz run -s none "$t" "work/$t" "corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=65536 2>&1 \
    | grep -E '^(Done|==[0-9]+== ERROR|SUMMARY|artifact_prefix|Test unit written)|panicked' || true
done

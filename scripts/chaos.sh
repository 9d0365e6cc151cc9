#!/usr/bin/env bash
# Chaos on the real service: a long round of the chaos tests in crates/cs-cli/tests/it/chaos.rs.
# `cs serve` is SIGKILLed KILLS times (default 30) in the middle of a surge that grows with
# the kills, restarted on the same store, and every acknowledged ticket, idempotent retry and
# SLA breach is checked afterwards. With DATABASE_URL set (or a local PostgreSQL answering),
# the same runs on two nodes sharing PostgreSQL, where the writer is killed each time and
# the follower takes over.
#
#   bash scripts/chaos.sh          # 30 kills per variant
#   bash scripts/chaos.sh 100
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-30}"
if [ -z "${DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/test"
fi
CS_CHAOS_KILLS="$kills" cargo test --release -p cs-cli --test it chaos -- --nocapture --test-threads 1 2>&1 \
  | grep -E '^(chaos:|SKIPPED|test |test result)|panicked'

#!/usr/bin/env bash
# The simulator benchmark (crates/cs-sim/benches/simulate.rs) built with profile-guided
# optimisation, next to the same benchmark built plainly.
#
#   benches/pgo.sh                 # 20 runs of each, mmc-check
#   benches/pgo.sh --runs 50       # arguments go to both benchmark binaries
#
# 1. builds the benchmark instrumented (-Cprofile-generate) into target/pgo/gen, with
#    whole-program link-time optimisation (lto = "fat", codegen-units = 1), as step 4;
# 2. trains it on every scenario under examples/scenarios/ (one run each, not only the
#    one measured), writing raw profiles to target/pgo/profiles;
# 3. merges them with the llvm-profdata of rustc's own LLVM (rustup's llvm-tools
#    component, added if missing);
# 4. rebuilds the benchmark with -Cprofile-use (and the same LTO) into target/pgo/use;
# 5. runs the plain benchmark (`cargo bench`'s own build) and the optimised one
#    alternately, three rounds each, and prints every round's median and best run.
#
# The code is the same; only the compiler's layout and inlining choices differ. Nothing
# here changes what the simulator computes (the event logs are the same).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out="$root/target/pgo"
rm -rf "$out/profiles" "$out/merged.profdata"
mkdir -p "$out/profiles"

if ! rustup component list --installed 2>/dev/null | grep -q '^llvm-tools'; then
    rustup component add llvm-tools
fi
profdata="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/llvm-profdata"
[ -x "$profdata" ] || { echo "pgo.sh: llvm-profdata not found at $profdata" >&2; exit 1; }

bench_bin() { # the benchmark executable a `cargo bench --no-run` built into target dir $1
    cargo bench -p cs-sim --bench simulate --no-run --message-format=json 2>/dev/null \
        | sed -n 's/.*"executable":"\([^"]*simulate-[^"]*\)".*/\1/p' | tail -1
}

# Link-time optimisation for the two PGO builds only (on its own it does not pay: see
# docs/PERFORMANCE.md).
optimised() {
    CARGO_PROFILE_BENCH_LTO=fat CARGO_PROFILE_BENCH_CODEGEN_UNITS=1 RUSTFLAGS="$1" CARGO_TARGET_DIR="$2" bench_bin
}

echo "== instrumented build" >&2
gen=$(optimised "-Cprofile-generate=$out/profiles" "$out/gen")
echo "== training on examples/scenarios/*.toml" >&2
for s in examples/scenarios/*.toml; do
    "$gen" --scenario "$s" --runs 1 --no-log > /dev/null
done
"$profdata" merge -o "$out/merged.profdata" "$out/profiles"

echo "== optimised build" >&2
pgo=$(optimised "-Cprofile-use=$out/merged.profdata" "$out/use")
echo "== plain build" >&2
plain=$(bench_bin)

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--runs 20)
for round in 1 2 3; do
    for variant in plain pgo; do
        bin=$plain
        [ "$variant" = pgo ] && bin=$pgo
        line=$("$bin" "${args[@]}" --no-log | grep 'tickets/s median')
        median=$(sed 's/.*tickets\/s median *\([0-9]*\).*/\1/' <<<"$line")
        best=$(sed 's/.* best *\([0-9]*\).*/\1/' <<<"$line")
        printf 'round %d %-5s tickets/s median %8s best %8s\n' "$round" "$variant" "$median" "$best"
    done
done

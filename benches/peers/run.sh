#!/usr/bin/env bash
# Side by side: the Rust simulator (full cs-core engine in the loop) and an idiomatic
# SimPy model of the same M/M/50+M scenario (examples/scenarios/mmc-check.toml), for the
# same number of simulated customers, on one core each. Prints both throughputs and the
# ratio.
#
#   benches/peers/run.sh                 # 200,000 customers
#   CUSTOMERS=1000000 benches/peers/run.sh
#
# Creates benches/peers/.venv (gitignored) and installs SimPy from PyPI into it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
customers=${CUSTOMERS:-200000}
simpy_version=${SIMPY_VERSION:-4.1.1}
venv="$here/.venv"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "simpy==$simpy_version"

# The mmc-check scenario, stretched so that it expects the same number of customers
# (540 per hour).
duration_s=$(( (customers * 3600 + 539) / 540 ))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s/^duration_s = [0-9]*/duration_s = $duration_s/" "$root/examples/scenarios/mmc-check.toml" > "$tmp/mmc-check.toml"

echo "== Rust: cs-sim + cs-core, $customers expected customers ($duration_s s simulated) =="
(cd "$root" && cargo bench --quiet -p cs-sim --bench simulate -- --scenario "$tmp/mmc-check.toml" --runs 5 --no-log) \
    | tee "$tmp/rust.txt"
rust=$(sed -n 's/^tickets_per_s_median=//p' "$tmp/rust.txt")

echo
echo "== SimPy $("$venv/bin/python" -c 'import simpy; print(simpy.__version__)') on $("$venv/bin/python" --version), $customers customers =="
"$venv/bin/python" "$here/simpy_mmc.py" --customers "$customers" --runs 3 | tee "$tmp/simpy.txt"
simpy=$(sed -n 's/^customers_per_s_median=//p' "$tmp/simpy.txt")

echo
awk -v r="$rust" -v s="$simpy" 'BEGIN {
    printf "Rust simulator: %12.0f customers/s (median of 5 runs)\n", r
    printf "SimPy model:    %12.0f customers/s (median of 3 runs)\n", s
    printf "ratio:          %12.1fx\n", r / s
}'

#!/usr/bin/env bash
# demo.sh -- build kubeharden and scan the bundled examples.
# Exit status is the scan's: 1 means findings were reported, as expected here.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "\$ kubeharden scan examples/" >&2
./build/kubeharden scan examples/ "$@"

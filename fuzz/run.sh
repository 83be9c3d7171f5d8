#!/usr/bin/env bash
# run.sh -- build the libFuzzer targets with clang and fuzz the document
# loader for N seconds (default 30) over a seed corpus made from a few
# manifests of /work/shared/corpus plus small hand-written edge cases.
#
#   fuzz/run.sh [seconds] [target]      e.g. fuzz/run.sh 300 fuzz_doc
#
# New inputs the fuzzer finds stay in build-fuzz/corpus-<target>/; crashes
# are written to build-fuzz/ as crash-* files.
set -euo pipefail

secs=${1:-30}
target=${2:-fuzz_doc}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KH_FUZZ_BUILD:-$root/build-fuzz}
shared=${KH_CORPUS:-/work/shared/corpus}
seeds=$build/seeds-$target
corpus=$build/corpus-$target

CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_COMPILER=clang -DKH_FUZZ=ON -DKH_SANITIZE=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" --target "$target" -j"$(nproc)"

mkdir -p "$seeds" "$corpus"
if [ -d "$shared" ]; then
    # a few small, varied files: YAML, multi-document, JSON
    find "$shared" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) \
        -size -8k | LC_ALL=C sort | awk 'NR % 40 == 1' | head -n 40 |
        while IFS= read -r f; do
            cp "$f" "$seeds/$(basename "$f" | tr -c 'A-Za-z0-9._-' _)"
        done
fi
# inputs that once failed, kept as regressions: fuzz/regressions/<target without fuzz_>-*
for f in "$root/fuzz/regressions/${target#fuzz_}"-*; do
    [ -e "$f" ] && cp "$f" "$seeds/"
done
printf 'a: &a [x, x]\nb: &b [*a, *a]\nc: {<<: {k: v}, j: yes}\n' >"$seeds/anchors.yaml"
printf '{"a":1,"b":[true,null,"\\u00e9"],"c":{}}' >"$seeds/inline.json"
printf 'k: 1\r\nk: 2\r\n---\r\nv: !!binary aGk=\r\n' >"$seeds/dup-crlf.yaml"

cd "$build"
"./fuzz/$target" -max_total_time="$secs" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 "$corpus" "$seeds"

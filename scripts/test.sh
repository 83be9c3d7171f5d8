#!/usr/bin/env bash
# test.sh -- build and run every test: gcc build, then clang with
# AddressSanitizer + UndefinedBehaviorSanitizer, then a short fuzz run.
# KH_FUZZ_SECONDS (default 20; 0 skips) sets the fuzzing time per target
# (three targets: the loader, the image reference parser, the whole scan).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)

echo "== gcc build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc >/dev/null
cmake --build build -j"$jobs" >/dev/null
(cd build && ctest --output-on-failure -j"$jobs")

echo "== clang build with ASan+UBSan and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
      -DKH_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j"$jobs")

if [ "${KH_FUZZ_SECONDS:-20}" != 0 ]; then
    for target in fuzz_doc fuzz_imageref fuzz_scan; do
        echo "== fuzzing $target for ${KH_FUZZ_SECONDS:-20}s"
        bash fuzz/run.sh "${KH_FUZZ_SECONDS:-20}" "$target" 2>&1 | tail -n 20
    done
fi
echo "== all tests passed"

#!/usr/bin/env bash
# test.sh -- build and run every test: gcc build, then clang with
# AddressSanitizer + UndefinedBehaviorSanitizer, the threaded scan under
# ThreadSanitizer, then a short fuzz run.
# KH_FUZZ_SECONDS (default 20; 0 skips) sets the fuzzing time per target
# (five targets: the configuration, the loader, one-object evaluation, the
# image reference parser, the whole scan).
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

echo "== clang build with ThreadSanitizer: the two-thread scan pipeline"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
      -DCMAKE_C_FLAGS="-fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
      -DBUILD_TESTING=ON >/dev/null
cmake --build build-tsan -j"$jobs" --target kubeharden kh-bench-gen >/dev/null
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -R 'e2e/(pipeline|cli)')

if [ "${KH_FUZZ_SECONDS:-20}" != 0 ]; then
    for target in fuzz_admission fuzz_apiresponse fuzz_config fuzz_doc fuzz_evaluate \
                  fuzz_imageref fuzz_jsontree fuzz_kubeconfig fuzz_nats fuzz_probe \
                  fuzz_scan fuzz_watch; do
        echo "== fuzzing $target for ${KH_FUZZ_SECONDS:-20}s"
        bash fuzz/run.sh "${KH_FUZZ_SECONDS:-20}" "$target" 2>&1 | tail -n 20
    done
fi
echo "== all tests passed"

#!/usr/bin/env bash
# corpus.sh -- real-world manifests load with no error and no crash, and the
# number of findings per rule equals a committed baseline, so a changed count
# is a deliberate, reviewed change. Always runs on the vendored subset
# (tests/corpus, baseline tests/corpus-baseline.txt); also on the full shared
# corpus when it is on this machine ($KH_CORPUS, ../shared/corpus next to the
# checkout, or /work/shared/corpus; baseline tests/corpus-full-baseline.txt).
# KH_UPDATE_BASELINE=1 rewrites the baselines from this run instead.
set -u
bin=${KH_BIN:?}
src=${KH_SOURCE_DIR:?}
out=$(mktemp)
counts=$(mktemp)
trap 'rm -f "$out" "$counts"' EXIT
fails=0

scan_corpus() { # DIR BASELINE DESCRIPTION
    "$bin" scan --no-config -o json "$1" > "$out"
    local status=$?
    python3 - "$out" "$1" "$status" "$counts" <<'PY' || return 1
import collections, json, sys
path, corpus, status, counts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
doc = json.load(open(path))
items = doc["findings"]
errors = [r for r in items if r["type"] == "error"]
for r in errors:
    print(f'error: {r["file"]}:{r["line"]}:{r["column"]}: {r["message"]}')
summary = doc["summary"]
print(f"{corpus}: exit {status}; summary", json.dumps(summary, sort_keys=True))
by_rule = collections.Counter(r["ruleId"] for r in items if r["type"] == "finding")
with open(counts, "w") as f:
    for key in ("files", "documents", "objects", "errors", "findings", "suppressed"):
        f.write(f"{key} {summary[key]}\n")
    for rule, n in sorted(by_rule.items()):
        f.write(f"{rule} {n}\n")
sys.exit(1 if errors or status >= 2 or summary["objects"] == 0 else 0)
PY
    compare_baseline "$1" "$2" "$3"
}

compare_baseline() { # DIR BASELINE DESCRIPTION
    local rel=${2#"$src"/}
    if [ "${KH_UPDATE_BASELINE:-}" = 1 ]; then
        { echo "# Totals and findings per rule of kubeharden scan --no-config on"
          echo "# $3, checked by tests/e2e/corpus.sh."
          echo "# A changed count must be deliberate: refresh with"
          echo "#     KH_UPDATE_BASELINE=1 ctest --test-dir <build-dir> -R e2e/corpus"
          echo "# and review the diff before committing it."
          cat "$counts"; } > "$2"
        echo "updated $rel"
        return 0
    fi
    [ -f "$2" ] || echo "no baseline $rel yet"
    if diff -u --label "$rel (baseline)" --label "this build" \
            <(grep -v '^#' "$2" 2>/dev/null) "$counts"; then
        echo "ok: counts match $rel"
        return 0
    fi
    echo "FAIL: counts for $1 differ from $rel (diff above: - baseline, + now)."
    echo "If the change is deliberate, refresh the baseline and commit it:"
    echo "    KH_UPDATE_BASELINE=1 ctest --test-dir <build-dir> -R e2e/corpus"
    return 1
}

scan_corpus "$src/tests/corpus" "$src/tests/corpus-baseline.txt" \
    "the vendored subset tests/corpus" || fails=$((fails + 1))
for full in "${KH_CORPUS:-}" "$src/../shared/corpus" /work/shared/corpus; do
    if [ -n "$full" ] && [ -d "$full" ]; then
        scan_corpus "$full" "$src/tests/corpus-full-baseline.txt" \
            "the full shared corpus" || fails=$((fails + 1))
        break
    fi
done
[ $fails -eq 0 ]

#!/usr/bin/env bash
# corpus.sh -- real-world manifests load with no error and no crash, and the
# number of findings per rule is printed. Always runs on the vendored subset
# (tests/corpus); also on the full shared corpus when it is on this machine
# ($KH_CORPUS, ../shared/corpus next to the checkout, or /work/shared/corpus).
set -u
bin=${KH_BIN:?}
src=${KH_SOURCE_DIR:?}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fails=0

scan_corpus() { # DIR
    "$bin" scan --no-config -o json "$1" > "$out"
    local status=$?
    python3 - "$out" "$1" "$status" <<'PY'
import collections, json, sys
path, corpus, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
doc = json.load(open(path))
items = doc["findings"]
errors = [r for r in items if r["type"] == "error"]
for r in errors:
    print(f'error: {r["file"]}:{r["line"]}:{r["column"]}: {r["message"]}')
print(f"{corpus}: exit {status}; summary", json.dumps(doc["summary"], sort_keys=True))
by_rule = collections.Counter(r["ruleId"] for r in items if r["type"] == "finding")
for rule, n in sorted(by_rule.items()):
    print(f"{n:7d}  {rule}")
sys.exit(1 if errors or status >= 2 or doc["summary"]["objects"] == 0 else 0)
PY
}

scan_corpus "$src/tests/corpus" || fails=$((fails + 1))
for full in "${KH_CORPUS:-}" "$src/../shared/corpus" /work/shared/corpus; do
    if [ -n "$full" ] && [ -d "$full" ]; then
        scan_corpus "$full" || fails=$((fails + 1))
        break
    fi
done
[ $fails -eq 0 ]

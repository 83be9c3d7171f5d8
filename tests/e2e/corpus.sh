#!/usr/bin/env bash
# corpus.sh -- every document of the real-world corpus (../shared/corpus, or
# $KH_CORPUS) loads without an error and without a crash; prints the number
# of findings per rule. Skipped (77) when the corpus is not on this machine.
set -u
corpus=${KH_CORPUS:-${KH_SOURCE_DIR:?}/../shared/corpus}
if [ ! -d "$corpus" ]; then echo "corpus not found at $corpus: skipped"; exit 77; fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"${KH_BIN:?}" scan --no-config -o json "$corpus" > "$out"
status=$?
if [ $status -ge 2 ]; then
    echo "FAIL: exit $status"
    python3 - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
items = doc.get("results") or doc.get("findings") or []
for r in items:
    if r.get("type") == "error":
        print(r)
PY
    exit 1
fi
python3 - "$out" <<'PY'
import collections, json, sys
doc = json.load(open(sys.argv[1]))
items = doc.get("results") or doc.get("findings") or []
by_rule = collections.Counter(r["ruleId"] for r in items if r.get("type") != "error")
print("summary:", json.dumps(doc.get("summary"), sort_keys=True))
for rule, n in sorted(by_rule.items()):
    print(f"{n:7d}  {rule}")
PY

#!/usr/bin/env bash
# cluster_dump.sh -- a cluster dumped as one big JSON List (`kubectl get -A
# -o json`: a PodList without kinds on its items, or `kind: List`) is read
# an item at a time, with exactly the findings, order, positions and item
# paths of the same List read whole. The reference is the same document
# with its kind spelled with a \u escape ("Pod\u004cist" is "PodList"),
# which the reader does not hand out item by item: kind comes after items,
# as kubectl prints it, so every position is the same.
. "$(dirname "$0")/lib/check.bash"
command -v python3 >/dev/null || exit 77

cat > gen.py <<'PY'
import json, sys
# gen.py N STYLE OUT [whole]: STYLE podlist (items without kind) or list
n, style, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
items = []
for i in range(n):
    pod = {"metadata": {"name": "p-%05d" % i, "namespace": "ns-%d" % (i % 5)},
           "spec": {"containers": [{"name": "c", "image": "nginx:1.%d" % (i % 4),
                                    "securityContext": {"privileged": i % 3 == 0}}],
                    "hostNetwork": i % 7 == 0, "restartPolicy": "Always"}}
    if style == "list":
        pod = {"apiVersion": "v1", "kind": "Pod", **pod}
    items.append(pod)
kind = "PodList" if style == "podlist" else "List"
text = json.dumps({"apiVersion": "v1", "items": items, "kind": kind,
                   "metadata": {"resourceVersion": "7"}}, indent=4)
# a repeated key in three items, and one in the List's own metadata
text = text.replace('"restartPolicy": "Always"',
                    '"restartPolicy": "Always", "restartPolicy": "Never"', 3)
text = text.replace('"resourceVersion": "7"', '"resourceVersion": "7", "resourceVersion": "8"')
if len(sys.argv) > 4:
    text = text.replace('"kind": "%s"' % kind, '"kind": "%s\\u004cist"' % kind[:-4])
open(out, "w").write(text)
PY
cat > same.py <<'PY'
import json, sys
def load(p):
    d = json.load(open(p))
    fs = [dict(f, file="F") for f in d["findings"]]
    d["summary"].pop("documents")
    return fs, d["summary"]
a, b = load(sys.argv[1]), load(sys.argv[2])
print("same findings" if a == b and a[0] else "different")
PY

for style in podlist list; do
    python3 gen.py 3000 $style big.json
    python3 gen.py 3000 $style whole.json whole
    [ "$(stat -c %s big.json)" -gt 1048576 ] || echo "FAIL: $style: the List is under 1 MiB"
    "$bin" scan --no-config -o json big.json > a.json
    check "$style: findings, exit 1" 1 $?
    "$bin" scan --no-config -o json whole.json > b.json
    check "$style whole: findings, exit 1" 1 $?
    contains "$style: the same findings in the same order as read whole" \
        <(python3 same.py a.json b.json) "same findings"
    documents=$(python3 -c 'import json;print(json.load(open("a.json"))["summary"]["documents"])')
    check "$style: read item by item (3000 items and the List's own keys)" 3001 "$documents"
    contains "$style: a repeated key in an item, at its item path" a.json \
        '"path": "items[2].spec.restartPolicy"'
    contains "$style: a repeated key in the List's own metadata" a.json \
        '"path": "metadata.resourceVersion"'
    "$bin" scan --no-config -o json - < big.json > c.json
    contains "$style: standard input too" <(python3 same.py c.json b.json) "same findings"
done

# Memory follows an item: over what a 100-item List costs, the per-object
# rules over an 8,000-item List read item by item take under half of what
# the same List read whole takes (a sanitizer's quarantine would keep what
# is freed: it is made small).
if [ -x /usr/bin/time ]; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
    python3 gen.py 100 podlist small.json
    python3 gen.py 8000 podlist big.json
    python3 gen.py 8000 podlist whole.json whole
    for f in small big whole; do
        /usr/bin/time -f %M -o $f.rss "$bin" scan --no-config --area pss -o json $f.json > /dev/null
    done
    base=$(tail -n 1 small.rss) big=$(tail -n 1 big.rss) whole=$(tail -n 1 whole.rss)
    check "memory: item by item takes under half (KiB over $base: $((big - base)) against $((whole - base)))" \
        1 $(((big - base) * 2 < whole - base))
fi

[ "$fails" -eq 0 ]

#!/usr/bin/env bash
# cluster_same.sh -- a served cluster is judged as the same objects in a
# file. The objects of the ha, netpol, rbac and workload test cases (264 of
# 20 kinds: nodes in zones, budgets, services, policies, roles and
# bindings, owned and bare pods) are served by the test API server and
# scanned with --cluster; the server's dump of them, put in the order the
# client listed them, is scanned as a file. Every finding must be the same
# (rule, object, field path, message, severity, related locations): the
# served scan keeps its objects with shared subtrees and no positions
# (src/doc/nodeshare.c), the file scan with positions, so this holds the
# cluster-wide rules to reading content only.
. "$(dirname "$0")/lib/check.bash"
python3 -c 'import yaml' 2>/dev/null || exit 77
. "$(dirname "$0")/lib/apiserver.bash"

# The cases' objects, each (kind, namespace, name) once, of the kinds the
# server serves; Secrets left out (the client reads only their metadata).
python3 - "$src" "$srv" <<'PY'
import glob, json, sys
sys.path.insert(0, sys.argv[2])
import yaml
import apiserver
served = {k: ns for res in apiserver.RESOURCES.values() for n, _, ns, k, _, _ in res if "/" not in n}
seen, out = set(), []
for area in ("ha", "netpol", "rbac", "workload"):
    for path in sorted(glob.glob(f"{sys.argv[1]}/tests/cases/{area}.*/*.yaml")):
        try:
            docs = list(yaml.safe_load_all(open(path)))
        except yaml.YAMLError:
            continue  # the cases of malformed input
        for d in docs:
            if not isinstance(d, dict) or d.get("kind") not in served or d["kind"] == "Secret":
                continue
            md = d.get("metadata")
            if not isinstance(md, dict) or not isinstance(md.get("name"), str):
                continue
            if served[d["kind"]]:
                md.setdefault("namespace", "default")
            key = (d["kind"], md.get("namespace", ""), md["name"])
            if key not in seen:
                seen.add(key)
                out.append(d)
json.dump(out, open("objects.json", "w"))
PY
apiserver_start --objects objects.json --token t --pods 0 --dump dump.json
kubeconfig kc.yaml
"$bin" scan --cluster --kubeconfig kc.yaml --no-config -o json > served.json 2> served.err
check "the served scan ends with findings" 1 $?

# The dump in the client's order: its lists as it asked for them, each in
# the server's key order (namespace, then name).
python3 - "$srv" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import apiserver
kind_of = {("/api/v1/" if gv == "v1" else f"/apis/{gv}/") + n: k
           for gv, res in apiserver.RESOURCES.items() for n, _, _, k, _, _ in res}
order = []
for line in open("server.log"):
    r = json.loads(line)
    kind = kind_of.get(r["path"])
    if r["status"] == 200 and kind and kind not in order:
        order.append(kind)
items = json.load(open("dump.json"))["items"]
rank = {k: i for i, k in enumerate(order)}
items = [o for o in items if o["kind"] in rank]
items.sort(key=lambda o: (rank[o["kind"]], o["metadata"].get("namespace", ""),
                          o["metadata"]["name"]))
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open("ordered.json", "w"))
PY
"$bin" scan --no-config -o json ordered.json > file.json 2> file.err
check "the file scan ends with findings" 1 $?

python3 - > diff.txt <<'PY'
import collections, json, re
def norm(path):
    return re.sub(r"^items\[\d+\]\.?", "", path or "")
def findings(name):
    doc = json.load(open(name))
    out = collections.Counter()
    for f in doc["findings"]:
        related = tuple((l.get("kind"), l.get("namespace"), l.get("name"), norm(l.get("path")),
                         l.get("message")) for l in f.get("related") or [])
        out[(f["ruleId"], f["kind"], f["namespace"], f["name"], norm(f["path"]), f["message"],
             f["severity"], related)] += 1
    return doc["summary"], out
s, served = findings("served.json")
f, infile = findings("file.json")
print("objects", s["objects"], f["objects"], "findings", sum(served.values()), sum(infile.values()))
for k in sorted(served - infile, key=str):
    print("only served:", k)
for k in sorted(infile - served, key=str):
    print("only in the file:", k)
PY
read -r _ so fo _ sn fn < <(head -n 1 diff.txt)
check "the same objects served and in the file" "$fo" "$so"
[ "$so" -gt 200 ] || { echo "FAIL: only $so objects served"; fails=$((fails + 1)); }
check "as many findings" "$fn" "$sn"
check "the same findings, one by one" 1 "$(wc -l < diff.txt)"
[ "$(wc -l < diff.txt)" -eq 1 ] || head -n 20 diff.txt
check "the summary: a cluster has no files, and each object is a document" "0 True" \
    "$(python3 -c 'import json
s = json.load(open("served.json"))["summary"]
print(s["files"], s["documents"] == s["objects"])')"
sets=$(python3 -c 'import json
print(len({f["ruleId"] for f in json.load(open("served.json"))["findings"]
           if f["ruleId"].split(".")[0] in ("ha", "netpol", "rbac")}))')
[ "$sets" -ge 15 ] && echo "ok: $sets cluster-wide rules fired" ||
    { echo "FAIL: only $sets cluster-wide rules fired"; fails=$((fails + 1)); }

[ "$fails" -eq 0 ]

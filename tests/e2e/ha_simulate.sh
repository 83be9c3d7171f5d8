#!/usr/bin/env bash
# ha_simulate.sh -- `kubeharden ha simulate` on the hand-built cluster in
# tests/fixtures/ha/small-cluster.yaml, whose comment lists every pod's
# node. The expected outcomes are worked out below from that layout.
set -u
. "$(dirname "$0")/lib/check.bash"
fx=$src/tests/fixtures/ha/small-cluster.yaml

# Losing w-a1 takes web-5d8f-a, cache-7c9d-x, db-0 and agent-w-a1 (api-6b7c-2
# is there too, but not ready): 4 ready pods. web 3 -> 2, cache 1 -> 0 (down,
# and Service cache loses its only endpoint), db 2 -> 1. Budgets: web needs
# 2 (minAvailable 2) and keeps 2; db needs 2 - 1 = 1 and keeps 1.
"$bin" ha simulate --lose node=w-a1 "$fx" > out.txt 2> err.txt
check "losing w-a1 leaves an outage (exit 1)" 1 $?
contains "4 ready pods lost" out.txt "Losing node=w-a1: 1 of 6 nodes, 4 ready pods"
contains "web keeps 2 of 3" out.txt "Deployment/shop/web: 3 -> 2 ready of 3"
contains "cache is down" out.txt "Deployment/shop/cache: 1 -> 0 ready of 1  DOWN"
contains "db keeps 1" out.txt "StatefulSet/shop/db: 2 -> 1 ready of 2"
lacks "api lost only a pod that was not ready" out.txt "Deployment/shop/api"
contains "no budget violated" out.txt "PodDisruptionBudgets violated: 0"
contains "Service cache without endpoints" out.txt "Service/shop/cache: 1 -> 0 ready endpoints"
contains "etcd keeps quorum" out.txt "etcd: 3 of 3 members left, quorum 2: kept"

# Zone a is cp-1, w-a1 and w-a2: web 3 -> 1 (budget web: 1 < 2, violated),
# db 2 -> 0 (budget db: 0 < 1, violated; down), cache down; etcd 2 of 3
# members (quorum 2) kept; 2 of 3 API servers.
"$bin" ha simulate --lose zone=a "$fx" > out.txt
check "losing zone a leaves an outage" 1 $?
contains "3 nodes lost" out.txt "Losing zone=a: 3 of 6 nodes, 9 ready pods"
contains "budget web violated" out.txt "PodDisruptionBudget/shop/web: 3 -> 1 healthy, 2 required"
contains "budget db violated" out.txt "PodDisruptionBudget/shop/db: 2 -> 0 healthy, 1 required"
contains "db down" out.txt "StatefulSet/shop/db: 2 -> 0 ready of 2  DOWN"
contains "etcd kept with 2 of 3" out.txt "etcd: 2 of 3 members left, quorum 2: kept"
contains "API server reachable" out.txt "API server: 2 of 3 endpoints left: reachable"

# Zones a and b together leave one etcd member of three: quorum lost.
"$bin" ha simulate --lose zone=a --lose zone=b -o json "$fx" > out.json
check "losing zones a and b" 1 $?
python3 - out.json <<'PY' && echo "ok: JSON of two zones lost" || { echo "FAIL: JSON of two zones lost"; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
assert d["lose"] == ["zone=a", "zone=b"], d["lose"]
assert s["nodes_lost"] == 5 and s["etcd_quorum"] is False and s["apiserver_reachable"] is True, s
assert d["etcd"] == {"members": 3, "members_left": 1, "quorum": 2, "quorum_kept": False}, d["etcd"]
w = {x["name"]: x for x in d["workloads"]}
assert w["web"]["ready_after"] == 0 and w["web"]["down"] is True
assert w["api"]["ready_before"] == 1 and w["api"]["down"] is True   # api-6b7c-2 was not ready
assert w["debug"]["kind"] == "Pod" and w["debug"]["down"] is True  # a bare pod
assert "agent" not in w                                             # DaemonSets are not workloads
PY

# Losing cp-3 (zone c) touches nothing but its control-plane pods.
"$bin" ha simulate --lose node=cp-3 "$fx" > out.txt
check "losing cp-3 is no outage (exit 0)" 0 $?
contains "no workload touched" out.txt "Workloads that lose ready replicas: 0 of 5"

# The same dump from stdin, as kubectl would pipe it.
"$bin" ha simulate --lose node=w-b1 - < "$fx" > out.txt
check "stdin" 1 $?
contains "api is down (its only ready pod was on w-b1)" out.txt "Deployment/shop/api: 1 -> 0 ready of 2  DOWN"

# --worst: zone a does the most damage (2 workloads down), then zone b.
"$bin" ha simulate --worst "$fx" > out.txt
check "--worst exits 1 (some single loss is an outage)" 1 $?
contains "zone a first" out.txt "   1  zone=a "
contains "zone b second" out.txt "   2  zone=b "
"$bin" ha simulate --worst --top 2 -o json "$fx" > out.json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["ranking"]; assert len(r)==2 and r[0]["zone"]=="a" and r[0]["workloads_down"]==2 and d["nodes"]==6 and d["zones"]==3, d' out.json \
    && echo "ok: --worst --top 2 JSON" || { echo "FAIL: --worst --top 2 JSON"; fails=$((fails + 1)); }

# Mistakes are usage errors naming the bad value.
"$bin" ha simulate --lose node=nope "$fx" > out.txt 2> err.txt
check "unknown node" 2 $?
contains "unknown node named" err.txt "unknown node 'nope'"
"$bin" ha simulate --lose rack=r1 "$fx" > out.txt 2> err.txt
check "bad loss" 2 $?
contains "bad loss named" err.txt "bad loss 'rack=r1'"
"$bin" ha simulate "$fx" > out.txt 2> err.txt
check "neither --lose nor --worst" 2 $?
"$bin" ha simulate --lose zone=a -o sarif "$fx" > out.txt 2> err.txt
check "sarif is not a simulation format" 2 $?

# check is the scan of the ha rules: the fixture's cache runs one replica.
"$bin" ha check --no-config "$fx" > out.txt
check "ha check finds something" 1 $?
contains "single replica found" out.txt "ha.single-replica"

[ "$fails" -eq 0 ]

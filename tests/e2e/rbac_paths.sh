#!/usr/bin/env bash
# rbac_paths.sh -- `kubeharden rbac paths` and `rbac graph` driven as an
# auditor would: a three-hop escalation (legacy token secret, exec into a
# pod, nodes/proxy) and a two-hop one through pod creation, --from for one
# subject (and for one no binding names, through system:authenticated), --to
# another permission, JSON that parses, a DOT graph that Graphviz renders,
# inputs with no path, the same paths as rbac.escalation-path findings in
# `scan`, and usage errors.
set -u
. "$(dirname "$0")/lib/check.bash"

# The `rbac` dispatcher is the lead's (src/cli/cmd_rbac.c).
"$bin" rbac paths --help > /dev/null 2>&1 || { echo "skip: no rbac paths command"; exit 77; }

cat > dump.yaml <<'Y'
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: siem, labels: {kubeharden.io/sensitive: "true"}}
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: debugger, namespace: ops}
- apiVersion: v1
  kind: Secret
  metadata:
    name: debugger-token
    namespace: ops
    annotations: {kubernetes.io/service-account.name: debugger}
  type: kubernetes.io/service-account-token
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: secret-reader, namespace: ops}
  rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get, list]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: carol-secrets, namespace: ops}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
  subjects: [{kind: User, name: carol}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: exec, namespace: infra}
  rules:
  - {apiGroups: [""], resources: [pods/exec], verbs: [create]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: debugger-exec, namespace: infra}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec}
  subjects: [{kind: ServiceAccount, name: debugger, namespace: ops}]
- apiVersion: v1
  kind: Pod
  metadata: {name: node-agent, namespace: infra}
  spec:
    serviceAccountName: node-admin
    containers: [{name: agent, image: registry.example/agent:1}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: kubelet-api}
  rules:
  - {apiGroups: [""], resources: [nodes/proxy], verbs: [get]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: node-admin}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubelet-api}
  subjects: [{kind: ServiceAccount, name: node-admin, namespace: infra}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: siem-reader, namespace: siem}
  rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: siem-readers, namespace: siem}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: siem-reader}
  subjects: [{kind: ServiceAccount, name: debugger, namespace: ops}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: pod-maker}
  rules:
  - {apiGroups: [""], resources: [pods], verbs: [create]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: devs-pods, namespace: infra}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-maker}
  subjects: [{kind: Group, name: devs}]
Y

# ------------------------------------------------------------------ paths
"$bin" rbac paths dump.yaml > out 2>&1
check "paths found exit 1" 1 $?
contains "carol's three steps" out "user:carol -> cluster-admin-equivalent in 3 steps"
contains "step 1 reads the token secret's namespace" out \
    "1. user:carol may read secrets in namespace 'ops'"
contains "the secret behind the hop" out \
    "sa:ops/debugger (Secret ops/debugger-token holds its token)"
contains "step 2 execs into the pod running as node-admin" out \
    "sa:infra/node-admin (Pod infra/node-agent runs as it)"
contains "step 3 is the kubelet API" out \
    "3. sa:infra/node-admin may use nodes/proxy (the kubelet API) cluster-wide"
contains "each step names binding and rule with positions" out \
    "RoleBinding ops/carol-secrets (dump.yaml:26:14), Role ops/secret-reader items[3].rules[0] (dump.yaml:21:5)"
contains "a group through pod creation" out "group:devs -> cluster-admin-equivalent in 2 steps"
contains "node-admin holds the kubelet API itself: one step" out \
    "sa:infra/node-admin -> cluster-admin-equivalent in 1 step"

"$bin" rbac paths --from user:carol -o json dump.yaml > carol.json 2>&1
check "--from with a path exits 1" 1 $?
python3 -c '
import json
d = json.load(open("carol.json"))
p = d["paths"]
assert d["target"] == "cluster-admin-equivalent", d
assert len(p) == 1 and p[0]["subject"] == "user:carol" and p[0]["steps"] == 3, p
g = [e for e in p[0]["edges"] if e["kind"] == "grant"]
assert [e["binding"]["name"] for e in g] == ["carol-secrets", "debugger-exec", "node-admin"], g
assert g[0]["rule"]["path"] == "items[3].rules[0]" and g[0]["binding"]["path"] == "items[4].subjects[0]", g[0]
via = [e["via"]["kind"] for e in p[0]["edges"] if "via" in e]
assert via == ["Secret", "Pod"], via
' > py.out 2>&1
check "--from JSON: carol's three grants, the secret and the pod between them" 0 $?
[ -s py.out ] && cat py.out

"$bin" rbac paths --from user:carol --to 'get secrets -n siem' dump.yaml > out 2>&1
check "--to another target" 1 $?
contains "carol reaches siem's secrets through debugger's token" out \
    "user:carol -> get secrets -n siem in 2 steps"
contains "whose RoleBinding allows it" out "2. sa:ops/debugger may get secrets -n siem"

cat > everyone.yaml <<'Y'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-pods}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-maker}
subjects: [{kind: Group, name: "system:authenticated"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-maker}
rules: [{apiGroups: [""], resources: [pods], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: binder}
subjects: [{kind: ServiceAccount, name: ci, namespace: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: binder}
rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}]
Y
"$bin" rbac paths --from user:someone-new everyone.yaml > out 2>&1
check "a user no binding names is still in system:authenticated" 1 $?
contains "its path starts as a member" out "as member of group:system:authenticated"
contains "and creates a pod as ci/ci" out "-> any service account -> sa:ci/ci"

"$bin" rbac paths --from group:nobody-uses-this dump.yaml > out 2>&1
check "a subject with no path exits 0" 0 $?
contains "and says so" out "group:nobody-uses-this has no path to cluster-admin-equivalent"

cat > safe.yaml <<'Y'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: User, name: dana}]
Y
"$bin" rbac paths safe.yaml > out 2>&1
check "no path: exit 0" 0 $?
[ -s out ] && { echo "FAIL: no path printed something:"; cat out; fails=$((fails + 1)); }
"$bin" rbac paths -o json safe.yaml > out 2>&1
contains "no path: empty JSON list" out '"paths":[]'

# ------------------------------------------------------------------ graph
"$bin" rbac graph dump.yaml > g.dot 2>&1
check "graph as DOT" 0 $?
contains "DOT names a grant edge" g.dot 'label="read secrets in namespace '"'"'ops'"'"'\nRoleBinding ops/carol-secrets"'
if command -v dot > /dev/null; then
    dot -Tsvg g.dot > g.svg 2> dot.err
    check "Graphviz renders the DOT" 0 $?
    contains "the SVG has carol" g.svg "user:carol"
else
    echo "FAIL: graphviz (dot) is not installed"; fails=$((fails + 1))
fi
"$bin" rbac graph -o json dump.yaml > g.json 2>&1
check "graph as JSON" 0 $?
python3 -c '
import json
d = json.load(open("g.json"))
ids = {n["id"]: n for n in d["nodes"]}
assert all(e["from"] in ids and e["to"] in ids for e in d["edges"])
carol = [n for n in d["nodes"] if n["label"] == "user:carol"][0]
assert carol["stepsToClusterAdmin"] == 3, carol
' > py.out 2>&1
check "graph JSON: edges name nodes, carol is 3 steps away" 0 $?
[ -s py.out ] && cat py.out

# ------------------------------------------------------------------ scan
"$bin" scan --no-config --rule rbac.escalation-path -o json dump.yaml > scan.json 2>&1
python3 -c '
import json
d = json.load(open("scan.json"))
f = [x for x in d["findings"] if x.get("ruleId") == "rbac.escalation-path"]
carol = [x for x in f if x["message"].startswith("user:carol ")]
assert len(carol) == 1 and "in 3 steps" in carol[0]["message"], carol
r = carol[0]["related"]
assert [x["kind"] for x in r][:3] == ["RoleBinding", "Role", "Secret"], r
assert carol[0]["name"] == "carol-secrets" and carol[0]["path"] == "items[4].subjects[0]", carol[0]
' > py.out 2>&1
check "scan: rbac.escalation-path on carol's binding, steps as related" 0 $?
[ -s py.out ] && cat py.out

# ------------------------------------------------------------------ errors
"$bin" rbac paths --to 'get' dump.yaml > out 2>&1
check "a --to without a resource is a usage error" 2 $?
contains "the bad --to is named" out "bad --to 'get'"
"$bin" rbac paths --from carol dump.yaml > out 2>&1
check "a --from without a kind is an error" 2 $?
"$bin" rbac paths -o yaml dump.yaml > out 2>&1
check "an unknown format" 2 $?
"$bin" rbac graph -o svg dump.yaml > out 2>&1
check "graph: an unknown format" 2 $?
"$bin" rbac paths > out 2>&1
check "no input" 2 $?
printf 'kind: [\n' > bad.yaml
"$bin" rbac paths bad.yaml > out 2>&1
check "malformed input exits 2" 2 $?
contains "with its position" out "bad.yaml:2:1: error:"

exit $((fails > 0))

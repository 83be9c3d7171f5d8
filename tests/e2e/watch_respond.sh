#!/usr/bin/env bash
# watch_respond.sh -- `kubeharden watch` response actions against the test
# API server (tests/fixtures/apiserver/apiserver.py + writes.py) over HTTPS:
# the exact requests each action sends (method, path, query, Content-Type,
# body), dry run by default (dryRun=All on every write, nothing changed),
# --respond live (the objects changed), the namespace and node allow-lists
# (kube-system only by its name), a 403 shown with the server's message, a
# drain that honours a PodDisruptionBudget (429 reported, not forced) and
# leaves what kubectl drain leaves, the pod a token is bound to, a 404,
# bindings, the rate limit, planning with no cluster, and
# --kubeconfig/--context.
set -u
lib=$(cd "$(dirname "$0")/lib" && pwd)
. "$lib/check.bash"
. "$lib/serve.bash"   # certificates, free ports, servers killed on exit
command -v python3 >/dev/null || exit 77
gen_certs || { echo "FAIL: openssl could not make the certificates"; exit 1; }
srv=$src/tests/fixtures/apiserver
# libcurl honours these; no kubeconfig but the test's own is ever found
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY KUBERNETES_SERVICE_HOST
export KUBECONFIG=$tmp/no-such-kubeconfig HOME=$tmp

# node-1 runs: two pods of Deployment shop/web (ReplicaSet web-5d8f; a
# budget allowing no disruption), one of shop/api, a StatefulSet pod with an
# emptyDir, a pod without a controller, a DaemonSet pod in kube-system and a
# pod in prod (not allowed).
python3 - > objects.json <<'PY'
import json
def md(name, ns=None, **kw):
    m = {"name": name, "uid": "u-" + name, "resourceVersion": "100",
         "creationTimestamp": "2026-11-30T09:00:00Z"}
    if ns: m["namespace"] = ns
    m.update(kw)
    return m
def owner(kind, name, api="apps/v1"):
    return [{"apiVersion": api, "kind": kind, "name": name, "uid": "u-" + name,
             "controller": True, "blockOwnerDeletion": True}]
def pod(ns, name, labels, owners=None, volumes=None, node="node-1"):
    m = md(name, ns, labels=labels)
    if owners: m["ownerReferences"] = owners
    spec = {"nodeName": node, "containers": [{"name": "c", "image": "registry.example/c:1"}]}
    if volumes: spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": spec,
            "status": {"phase": "Running"}}
objs = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": md("shop")},
    {"apiVersion": "v1", "kind": "Node", "metadata": md("node-1"), "spec": {}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": md("web", "shop", generation=1),
     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}},
     "status": {"replicas": 2}},
    {"apiVersion": "apps/v1", "kind": "ReplicaSet",
     "metadata": md("web-5d8f", "shop", ownerReferences=owner("Deployment", "web")),
     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}}},
    pod("shop", "web-5d8f-abcde", {"app": "web"}, owner("ReplicaSet", "web-5d8f")),
    pod("shop", "web-5d8f-fghij", {"app": "web"}, owner("ReplicaSet", "web-5d8f")),
    pod("shop", "api-77-xyz", {"app": "api"}, owner("ReplicaSet", "api-77")),
    pod("shop", "cache-0", {"app": "cache"}, owner("StatefulSet", "cache"),
        [{"name": "tmp", "emptyDir": {}}]),
    pod("shop", "lone", {"app": "lone"}),
    pod("kube-system", "kube-proxy-7xk2p", {"k8s-app": "kube-proxy"},
        owner("DaemonSet", "kube-proxy")),
    pod("prod", "db-0", {"app": "db"}, owner("StatefulSet", "db")),
    {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": md("web-pdb", "shop"),
     "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
     "status": {"disruptionsAllowed": 0, "desiredHealthy": 2, "currentHealthy": 2,
                "expectedPods": 2, "observedGeneration": 1}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
     "metadata": md("backdoor", "shop"),
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                 "name": "cluster-admin"},
     "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "mallory"}]},
]
print(json.dumps(objs))
PY

start() { # name server-options...: start a server; sets $port
    local name=$1; shift
    rm -f "$name.port"; : > "$name.log"
    python3 "$srv/apiserver.py" --cert server.crt --key server.key --objects objects.json \
        --port-file "$name.port" --log "$name.log" --token t0ken "$@" &
    pids+=($!)
    for _ in $(seq 100); do [ -f "$name.port" ] && break; sleep 0.05; done
    port=$(cat "$name.port")
}
kubeconfig() { # file port
    cat > "$1" <<EOF
apiVersion: v1
kind: Config
current-context: elsewhere
clusters:
- name: test
  cluster: {server: "https://localhost:$2", certificate-authority: $tmp/ca.crt}
- name: nowhere
  cluster: {server: "https://localhost:1", certificate-authority: $tmp/ca.crt}
contexts:
- name: test
  context: {cluster: test, user: u}
- name: elsewhere
  context: {cluster: nowhere, user: u}
users:
- name: u
  user: {token: t0ken}
EOF
}
get() { # port path: GET through the token, the JSON on stdout
    python3 - "$@" <<'PY'
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile="ca.crt")
req = urllib.request.Request("https://localhost:%s%s" % (sys.argv[1], sys.argv[2]),
                             headers={"Authorization": "Bearer t0ken"})
try:
    print(urllib.request.urlopen(req, context=ctx).read().decode())
except urllib.error.HTTPError as e:
    print(e.read().decode())
PY
}
reqs() { # log: each request as "METHOD path?query contentType" and the body, one a line
    python3 - "$1" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    q = "?" + r["query"] if r["query"] else ""
    print("%s %s%s %s %s" % (r["method"], r["path"], q, r["contentType"], r["status"]))
    if r.get("body"):
        print("  body " + r["body"])
PY
}
field() { # out rule key: the value of response.key (or key) of the alerts of rule, one a line
    python3 - "$@" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    a = json.loads(l)
    if a["rule"] == sys.argv[2]:
        v = a.get("response", {}).get(sys.argv[3], a.get(sys.argv[3]))
        print(json.dumps(v) if not isinstance(v, str) else v)
PY
}
exec_into() { # auditID namespace pod second [user-json]
    printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"%s","stage":"ResponseComplete","verb":"create","requestURI":"/api/v1/namespaces/%s/pods/%s/exec?command=sh","user":%s,"sourceIPs":["10.0.0.5"],"userAgent":"kubectl/v1.31.0","objectRef":{"resource":"pods","namespace":"%s","name":"%s","subresource":"exec","apiVersion":"v1"},"responseStatus":{"code":101},"stageTimestamp":"2026-11-30T10:00:%02d.000000Z"}\n' \
        "$1" "$2" "$3" "${5:-{\"username\":\"alice\",\"groups\":[\"dev\"]\}}" "$2" "$3" "$4"
}

start main
kubeconfig kc.yaml "$port"
exec_into a1 shop web-5d8f-abcde 1 > exec.log
cat > respond.yaml <<'EOF'
watch:
  response:
    allow: {namespaces: [shop], nodes: ["node-*"]}
  rules:
    audit.pod-exec:
      actions: [isolate-pod, cordon-node, scale-to-zero, delete-pod]
EOF

# --- dry run (the default): every write carries dryRun=All; nothing changes
"$bin" watch --config respond.yaml --kubeconfig kc.yaml --context test --fail-on never \
    exec.log > out 2> err
check "dry run: exit 0" 0 $?
contains "dry run: said on stderr, with the server" err \
    "response actions: dry run (dryRun=All) against https://localhost:$port"
reqs main.log > reqs.txt
cat > want.txt <<EOF
PATCH /apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/kubeharden-quarantine?fieldManager=kubeharden&force=true&dryRun=All application/apply-patch+yaml 201
  body {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"kubeharden-quarantine","namespace":"shop","labels":{"app.kubernetes.io/managed-by":"kubeharden"}},"spec":{"podSelector":{"matchLabels":{"kubeharden.io/quarantine":"true"}},"policyTypes":["Ingress","Egress"]}}
PATCH /api/v1/namespaces/shop/pods/web-5d8f-abcde?dryRun=All application/merge-patch+json 200
  body {"metadata":{"labels":{"kubeharden.io/quarantine":"true"}}}
GET /api/v1/namespaces/shop/pods/web-5d8f-abcde None 200
PATCH /api/v1/nodes/node-1?dryRun=All application/strategic-merge-patch+json 200
  body {"spec":{"unschedulable":true}}
GET /api/v1/namespaces/shop/pods/web-5d8f-abcde None 200
GET /apis/apps/v1/namespaces/shop/replicasets/web-5d8f None 200
GET /apis/apps/v1/namespaces/shop/deployments/web/scale None 200
PATCH /apis/apps/v1/namespaces/shop/deployments/web/scale?dryRun=All application/merge-patch+json 200
  body {"spec":{"replicas":0}}
DELETE /api/v1/namespaces/shop/pods/web-5d8f-abcde?dryRun=All application/json 200
  body {"apiVersion":"v1","kind":"DeleteOptions","propagationPolicy":"Background"}
EOF
if diff want.txt reqs.txt > diff.txt; then echo "ok: dry run: the exact requests, in order"; else
    echo "FAIL: dry run: requests differ:"; cat diff.txt; fails=$((fails + 1)); fi
check "dry run: four response alerts" 4 "$(grep -c '"rule":"response\.' out)"
check "dry run: every one a dry run" "dry-run
dry-run
dry-run
dry-run" "$(grep -o '"result":"[a-z-]*"' out | cut -d'"' -f4)"
contains "dry run: the message says the server accepted it" out \
    '"message":"dry-run: (dryRun=All: the server accepted it, nothing changed) would cordon node node-1"'
contains "dry run: the workload is the ReplicaSet's Deployment, its replicas kept for the way back" out \
    '"fix":"kubectl -n shop scale deployment web --replicas=2"'
contains "dry run: the response alert carries the trigger's auditID and user" out \
    '"rule":"response.isolate-pod","severity":"medium"'
field out response.delete-pod requests > r.txt
contains "dry run: the alert lists its requests with their status" r.txt \
    '["DELETE /api/v1/namespaces/shop/pods/web-5d8f-abcde?dryRun=All 200"]'
check "dry run: triggered by the rule" audit.pod-exec "$(field out response.delete-pod trigger)"
check "dry run: the trigger's auditID" a1 "$(field out response.delete-pod auditID)"
check "dry run: the trigger's user, groups and source" 'alice ["dev"] ["10.0.0.5"]' \
    "$(field out response.delete-pod user) $(field out response.delete-pod groups) $(field out response.delete-pod sourceIPs)"
get "$port" /api/v1/nodes/node-1 > node.json
lacks "dry run: the node is not cordoned" node.json unschedulable
get "$port" /api/v1/namespaces/shop/pods/web-5d8f-abcde > pod.json
lacks "dry run: the pod is not labelled" pod.json quarantine
lacks "dry run: the pod is not deleted" pod.json deletionTimestamp

# --- live: --respond live acts
: > main.log
"$bin" watch --config respond.yaml --kubeconfig kc.yaml --context test --respond live \
    --fail-on never exec.log > out 2> err
check "live: exit 0" 0 $?
contains "live: said on stderr" err "response actions: LIVE against https://localhost:$port"
lacks "live: no dryRun" main.log dryRun
check "live: every action done" "done
done
done
done" "$(grep -o '"result":"[a-z-]*"' out | cut -d'"' -f4)"
contains "live: the message" out \
    '"message":"done: isolate pod shop/web-5d8f-abcde (label kubeharden.io/quarantine=true; NetworkPolicy shop/kubeharden-quarantine denies all ingress and egress of labelled pods)"'
get "$port" /api/v1/namespaces/shop/pods/web-5d8f-abcde > pod.json
contains "live: the pod is labelled" pod.json '"kubeharden.io/quarantine":"true"'
contains "live: the pod is terminating" pod.json '"deletionTimestamp"'
get "$port" /apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/kubeharden-quarantine > np.json
contains "live: the deny-all policy exists, selecting the label" np.json \
    '"podSelector":{"matchLabels":{"kubeharden.io/quarantine":"true"}},"policyTypes":["Ingress","Egress"]'
contains "live: applied by kubeharden" np.json '"manager":"kubeharden","operation":"Apply"'
get "$port" /api/v1/nodes/node-1 > node.json
contains "live: the node is cordoned" node.json '"unschedulable":true'
get "$port" /apis/apps/v1/namespaces/shop/deployments/web/scale > scale.json
contains "live: the Deployment is at zero" scale.json '"spec":{"replicas":0}'

# --- the allow-lists: prod is not listed, kube-system only by its name
start allow
kubeconfig kc2.yaml "$port"
{ exec_into p1 prod db-0 2; exec_into k1 kube-system kube-proxy-7xk2p 3; } > refuse.log
cat > star.yaml <<'EOF'
watch:
  response: {allow: {namespaces: ["*"]}}
  rules: {audit.pod-exec: {actions: [delete-pod, cordon-node]}}
EOF
"$bin" watch --config respond.yaml --kubeconfig kc2.yaml --context test --respond live \
    --fail-on never refuse.log > out 2> err
check "allow: exit 0" 0 $?
contains "allow: prod refused, named" out \
    '"message":"refused: isolate pod prod/db-0: namespace '"'"'prod'"'"' is not in watch.response.allow.namespaces"'
"$bin" watch --config star.yaml --kubeconfig kc2.yaml --context test --respond live \
    --fail-on never refuse.log > out 2> err
contains "allow: '*' does not reach kube-system" out \
    '"message":"refused: delete pod kube-system/kube-proxy-7xk2p: namespace '"'"'kube-system'"'"' is not in watch.response.allow.namespaces (kube-system only by its exact name)"'
contains "allow: node actions need allow.nodes" out \
    '"message":"refused: cordon the node of pod prod/db-0: no node is allowed (watch.response.allow.nodes)"'
contains "allow: prod is acted on under '*'" out '"result":"done","dryRun":false,"target":"pod prod/db-0"'
check "allow: nothing was sent for the refused ones" 1 "$(grep -c . allow.log)"

# --- 403: the server's Status message in the alert
start forbid --forbid-write delete:pods
kubeconfig kc3.yaml "$port"
cat > del.yaml <<'EOF'
watch:
  response: {allow: {namespaces: [shop]}}
  rules: {audit.pod-exec: {actions: [delete-pod]}}
EOF
exec_into f1 shop api-77-xyz 4 > exec403.log
"$bin" watch --config del.yaml --kubeconfig kc3.yaml --context test --fail-on never \
    exec403.log > out 2> err
check "403: exit 0 (the watcher goes on)" 0 $?
contains "403: failed, with the authorizer's message (a dry run is authorized too)" out \
    '"message":"failed: delete pod shop/api-77-xyz: DELETE /api/v1/namespaces/shop/pods/api-77-xyz?dryRun=All: 403 Forbidden: pods \"api-77-xyz\" is forbidden: User \"system:serviceaccount:audit:kubeharden\" cannot delete resource \"pods\" in API group \"\" in the namespace \"shop\""'
contains "403: the status code rides on the alert" out '"responseCode":403'

# --- the pod whose bound token ran kubectl is the one isolated (not the
# object it read); a pod that is gone: the 404 after the policy was applied
cat > token.yaml <<'EOF'
watch:
  response: {allow: {namespaces: [shop]}}
  rules:
    audit.kubectl-in-pod: {actions: [isolate-pod]}
    audit.pod-exec: {actions: [isolate-pod]}
EOF
{ printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"t1","stage":"ResponseComplete","verb":"list","user":{"username":"system:serviceaccount:shop:default","extra":{"authentication.kubernetes.io/pod-name":["api-77-xyz"],"authentication.kubernetes.io/node-name":["node-1"]}},"sourceIPs":["10.244.1.7"],"userAgent":"kubectl/v1.31.0 (linux/amd64) kubernetes/abc","objectRef":{"resource":"secrets","namespace":"prod","apiVersion":"v1"},"responseStatus":{"code":200},"stageTimestamp":"2026-11-30T10:02:00.000000Z"}\n'
  exec_into g1 shop ghost 6; } > token.log
: > forbid.log
"$bin" watch --config token.yaml --kubeconfig kc3.yaml --context test --fail-on never \
    token.log > out 2> err
check "token: exit 0" 0 $?
contains "token: the actor pod, from its token, isolated (dry run)" out \
    '"message":"dry-run: (dryRun=All: the server accepted it, nothing changed) would isolate pod shop/api-77-xyz'
contains "token: its label patched" forbid.log '"path": "/api/v1/namespaces/shop/pods/api-77-xyz", "query": "dryRun=All"'
contains "404: the pod that is gone, in the server's words" out \
    '"message":"failed: isolate pod shop/ghost (label kubeharden.io/quarantine=true; NetworkPolicy shop/kubeharden-quarantine denies all ingress and egress of labelled pods): PATCH /api/v1/namespaces/shop/pods/ghost?dryRun=All: 404 Not Found: pods \"ghost\" not found"'

# --- drain: a PodDisruptionBudget's 429 is reported, not forced
start drain
kubeconfig kc4.yaml "$port"
cat > drain.yaml <<'EOF'
watch:
  response: {allow: {namespaces: [shop, kube-system], nodes: [node-1]}}
  rules: {audit.pod-exec: {actions: [drain-node]}}
EOF
exec_into d1 shop api-77-xyz 5 > drain-events.log
"$bin" watch --config drain.yaml --kubeconfig kc4.yaml --context test --respond live \
    --fail-on never drain-events.log > out 2> err
check "drain: exit 0" 0 $?
reqs drain.log > reqs.txt
contains "drain: the pod's node from the pod" reqs.txt "GET /api/v1/namespaces/shop/pods/api-77-xyz None 200"
contains "drain: cordoned first" reqs.txt "PATCH /api/v1/nodes/node-1 application/strategic-merge-patch+json 200"
contains "drain: the node's pods by field selector" reqs.txt \
    "GET /api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1 None 200"
contains "drain: a policy/v1 Eviction" reqs.txt \
    'POST /api/v1/namespaces/shop/pods/api-77-xyz/eviction application/json 201
  body {"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"api-77-xyz","namespace":"shop"}}'
check "drain: the budget's 429 is asked once per pod, never retried" 2 \
    "$(grep -c 'eviction application/json 429' reqs.txt)"
check "drain: partial" partial "$(field out response.drain-node result)"
msg=$(field out response.drain-node message)
case "$msg" in
*"evicted 1 (shop/api-77-xyz); refused by a disruption budget 2 (shop/web-5d8f-abcde: POST /api/v1/namespaces/shop/pods/web-5d8f-abcde/eviction: 429 Too Many Requests: Cannot evict pod as it would violate the pod's disruption budget. (The disruption budget web-pdb needs 2 healthy pods and has 2 currently)"*)
    echo "ok: drain: the budget's refusal in its own words";;
*) echo "FAIL: drain: message: $msg"; fails=$((fails + 1));;
esac
for left in "shop/cache-0: emptyDir data" "shop/lone: no controller" \
    "kube-system/kube-proxy-7xk2p: DaemonSet" "prod/db-0: namespace not allowed"; do
    case "$msg" in *"$left"*) echo "ok: drain: left $left";;
    *) echo "FAIL: drain: not left: $left"; fails=$((fails + 1));; esac
done

# --- scale-to-zero of the Deployment the event created privileged
cat > scale.yaml <<'EOF'
watch:
  response: {allow: {namespaces: [shop]}}
  rules: {audit.privileged-pod: {actions: [scale-to-zero]}}
EOF
printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"p1","stage":"ResponseComplete","verb":"update","user":{"username":"mallory"},"sourceIPs":["10.0.0.9"],"objectRef":{"resource":"deployments","apiGroup":"apps","apiVersion":"v1","namespace":"shop","name":"web"},"responseStatus":{"code":200},"requestObject":{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","namespace":"shop"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"registry.example/c:1","securityContext":{"privileged":true}}]}}}},"stageTimestamp":"2026-11-30T10:01:30.000000Z"}\n' > scale.log
: > drain.log
"$bin" watch --config scale.yaml --kubeconfig kc4.yaml --context test --fail-on never \
    scale.log > out 2> err
reqs drain.log > reqs.txt
check "scale: the event's Deployment, its scale read then patched (dry run)" \
"GET /apis/apps/v1/namespaces/shop/deployments/web/scale None 200
PATCH /apis/apps/v1/namespaces/shop/deployments/web/scale?dryRun=All application/merge-patch+json 200
  body {\"spec\":{\"replicas\":0}}" "$(cat reqs.txt)"
contains "scale: the message" out \
    '"message":"dry-run: (dryRun=All: the server accepted it, nothing changed) would scale deployment shop/web to zero (from 2)"'

# --- bindings: a RoleBinding to cluster-admin deleted (dry run); a
# ClusterRoleBinding only with allow.clusterRoleBindings
binding() { # auditID resource namespace name
    local nsref="" nsmd=""
    [ -n "$3" ] && nsref=",\"namespace\":\"$3\"" && nsmd=",\"namespace\":\"$3\""
    printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"%s","stage":"ResponseComplete","verb":"create","user":{"username":"mallory"},"sourceIPs":["10.0.0.9"],"objectRef":{"resource":"%s","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"%s,"name":"%s"},"responseStatus":{"code":201},"requestObject":{"kind":"%s","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"%s"%s},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"mallory"}]},"stageTimestamp":"2026-11-30T10:01:00.000000Z"}\n' \
        "$1" "$2" "$nsref" "$4" "$([ "$2" = rolebindings ] && echo RoleBinding || echo ClusterRoleBinding)" "$4" "$nsmd"
}
{ binding b1 rolebindings shop backdoor; binding b2 clusterrolebindings "" mallory-admin; } > bind.log
cat > bind.yaml <<'EOF'
watch:
  response: {allow: {namespaces: [shop]}}
  rules: {audit.cluster-admin-binding: {actions: [delete-binding]}}
EOF
: > drain.log
"$bin" watch --config bind.yaml --kubeconfig kc4.yaml --context test --fail-on never \
    bind.log > out 2> err
reqs drain.log > reqs.txt
check "binding: one request, the RoleBinding's dry-run DELETE" \
    "DELETE /apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings/backdoor?dryRun=All application/json 200
  body {\"apiVersion\":\"v1\",\"kind\":\"DeleteOptions\",\"propagationPolicy\":\"Background\"}" \
    "$(cat reqs.txt)"
contains "binding: the ClusterRoleBinding refused" out \
    '"message":"refused: delete ClusterRoleBinding mallory-admin: not in watch.response.allow.clusterRoleBindings"'

# --- --listen: the actions' alerts go out with the next batch, or at exit
printf '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[%s]}' \
    "$(exec_into w1 shop api-77-xyz 30)" > batch.json
port=$(free_port)
url=https://127.0.0.1:$port
: > forbid.log
"$bin" watch --listen "127.0.0.1:$port" --tls-cert-file server.crt \
    --tls-private-key-file server.key --config del.yaml --kubeconfig kc3.yaml --context test \
    --sink "file:$tmp/alerts.jsonl" --fail-on never 2> log &
pid=$!
pids+=("$pid")
for _ in $(seq 100); do
    curl -s --cacert ca.crt -o /dev/null "$url/healthz" && break
    sleep 0.1
done
check "listen: a batch is answered 200" 200 "$(post /audit batch.json)"
for _ in $(seq 100); do grep -q '"method": "DELETE"' forbid.log && break; sleep 0.1; done
check "listen: the action ran on the worker" 1 "$(grep -c '"method": "DELETE"' forbid.log)"
check "listen: the batch's detection went out at once" 1 "$(grep -c '"rule":"audit.pod-exec"' alerts.jsonl)"
stop_server
check "listen: SIGTERM, status 0" 0 "$stop_status"
contains "listen: the action's alert is out by the exit" alerts.jsonl \
    '"rule":"response.delete-pod","severity":"medium","title":"response: delete the pod","message":"failed: delete pod shop/api-77-xyz: DELETE /api/v1/namespaces/shop/pods/api-77-xyz?dryRun=All: 403 Forbidden'

# --- rate limit (planned without a cluster): 2 per window and namespace,
# one target once; the rest told once, then counted at the end
cat > rate.yaml <<'EOF'
watch:
  response:
    allow: {namespaces: [shop]}
    rateLimit: {window: 60, actions: 2}
  rules: {audit.pod-exec: {actions: [delete-pod]}}
EOF
for i in 1 2 3 4 5 6; do exec_into s$i shop pod-$i $((10 + i)); done > storm.log
exec_into s7 shop pod-1 17 >> storm.log
exec_into s8 shop pod-9 59 >> storm.log
"$bin" watch --config rate.yaml --fail-on never storm.log > out 2> err
check "rate: exit 0" 0 $?
contains "rate: no cluster: said so" err "dry run without a cluster (none configured): planned, nothing sent"
check "rate: two planned, then limited" "dry-run
dry-run
rate-limited
rate-limited" "$(field out response.delete-pod result)"
check "rate: the count of those held rides on the last alert" "1
1
1
4" "$(field out response.delete-pod count)"
contains "rate: planned requests listed" out '"requests":["DELETE /api/v1/namespaces/shop/pods/pod-1?dryRun=All"]'
contains "rate: the limit named" out \
    '"message":"rate-limited: delete-pod for audit.pod-exec in namespace shop: 2 already within 60 s (watch.response.rateLimit); not taken, nor the next ones in this window"'

# --- usage: live without a cluster, a kubeconfig that is not there, no actions
"$bin" watch --config rate.yaml --respond live storm.log > out 2> err
check "live without a cluster: exit 2" 2 $?
contains "live without a cluster: why" err "response actions are live but no cluster is configured"
"$bin" watch --config rate.yaml --kubeconfig missing.yaml storm.log > out 2> err
check "a missing kubeconfig: exit 2" 2 $?
contains "a missing kubeconfig: named" err "kubeconfig 'missing.yaml' does not exist"
"$bin" watch --no-config --respond live storm.log > out 2> err
check "--respond without actions: exit 2" 2 $?
contains "--respond without actions: why" err "no rule has response actions"
"$bin" watch --config rate.yaml --respond sometimes storm.log > out 2> err
check "--respond: a bad mode is a usage error" 2 $?
"$bin" watch --config rate.yaml --respond off --fail-on never storm.log > out 2> err
check "--respond off: no response alert" 0 "$(grep -c '"rule":"response\.' out)"
# The current context points nowhere: without --context the actions fail
start ctx
kubeconfig kc5.yaml "$port"
"$bin" watch --config del.yaml --kubeconfig kc5.yaml --fail-on never exec403.log > out 2> err
check "context: the current one (nowhere) fails the action" failed "$(field out response.delete-pod result)"
check "context: nothing reached the test server" 0 "$(grep -c . ctx.log)"

# The documented example configuration loads, and its ClusterRole is a valid object.
"$bin" watch --config "$src/docs/examples/watch-respond.kubeharden.yaml" /dev/null > out 2> err
check "docs: the example configuration loads" 0 $?
"$bin" scan --no-config "$src/docs/examples/watch-respond-rbac.yaml" > out 2> err
check "docs: the example ClusterRole scans clean" 0 $?

exit $((fails > 0))

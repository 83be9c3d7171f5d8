#!/usr/bin/env python3
# watch_gen.py N SEED -- N audit events (audit.k8s.io/v1, one JSON object per
# line) shaped like a busy API server's log at the Metadata level with
# RequestResponse for writes: controllers' gets, lists and watches, leases,
# kubelets' status patches and token requests, a few people with kubectl,
# and a trickle of what the audit.* rules look for (exec, secret reads,
# 401 and 403 bursts, privileged pods). Events average about 1.5 KB.
import json, random, sys

n, seed = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1
rnd = random.Random(seed)
ns = ["shop", "payments", "search", "kube-system", "monitoring", "ingress", "default"]
controllers = ["system:kube-controller-manager", "system:kube-scheduler",
               "system:serviceaccount:kube-system:replicaset-controller",
               "system:serviceaccount:kube-system:endpointslice-controller",
               "system:serviceaccount:monitoring:prometheus"]
people = ["alice@example.com", "bob@example.com", "carol@example.com"]
out = sys.stdout
base = 1764496800  # 2025-11-30T10:00:00Z

def ts(i):
    t = base + i // 2000  # 2000 events per second of log time
    us = (i % 2000) * 500
    return "%s.%06dZ" % (__import__("time").strftime("%Y-%m-%dT%H:%M:%S", __import__("time").gmtime(t)), us)

def pod(name, namespace, privileged=False):
    c = {"name": "app", "image": "registry.example.com/%s:1.%d.%d" % (name, rnd.randrange(9), rnd.randrange(99)),
         "ports": [{"containerPort": 8080, "protocol": "TCP"}],
         "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
         "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "REGION", "value": "eu-west-1"}],
         "securityContext": {"privileged": True} if privileged else
             {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app": name.split("-")[0], "tier": "web"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name[:-6], "uid": "%032x" % rnd.getrandbits(128), "controller": True}]},
            "spec": {"containers": [c], "serviceAccountName": "default", "restartPolicy": "Always",
                     "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]}}

for i in range(n):
    r = rnd.random()
    n_ = rnd.choice(ns)
    user, groups, verb, res, sub, name, code, obj, level, group = \
        rnd.choice(controllers), ["system:authenticated"], rnd.choice(["get", "list", "watch"]), \
        rnd.choice(["pods", "configmaps", "endpoints", "services", "replicasets"]), "", "", 200, None, "Metadata", ""
    if res == "replicasets":
        group = "apps"
    if r < 0.30:
        user, groups = "system:node:node-%d" % rnd.randrange(50), ["system:nodes", "system:authenticated"]
        verb, res, sub, name, n_ = "patch", "nodes", "status", "node-%d" % rnd.randrange(50), ""
    elif r < 0.45:
        verb, res, name, group, n_ = "update", "leases", rnd.choice(["kube-controller-manager", "kube-scheduler"]), "coordination.k8s.io", "kube-system"
        user = "system:kube-controller-manager"
    elif r < 0.47:
        user, groups = rnd.choice(people), ["dev", "system:authenticated"]
        verb, res, name, code, level = "create", "pods", "web-%05x" % rnd.getrandbits(20), 201, "RequestResponse"
        obj = pod(name, n_, privileged=rnd.random() < 0.01)
    elif r < 0.4705:
        user, groups = rnd.choice(people), ["dev", "system:authenticated"]
        verb, res, sub, name, code = "create", "pods", "exec", "web-%05x" % rnd.getrandbits(20), 101
    elif r < 0.471:
        user, groups = rnd.choice(people), ["dev", "system:authenticated"]
        verb, res, name = "get", "secrets", "db-credentials"
    elif r < 0.472:
        user, groups, code = "", [], 401
    elif r < 0.473:
        user, groups, code = "mallory@example.com", ["system:authenticated"], 403
    if verb in ("get", "patch", "update") and not name:
        name = "%s-%05x" % (res[:-1], rnd.getrandbits(20))
    path = ("/apis/%s/v1" % group) if group else "/api/v1"
    uri = path + ("/namespaces/" + n_ if n_ else "") + "/" + res + ("/" + name if name else "") + ("/" + sub if sub else "")
    if verb == "watch":
        uri += "?allowWatchBookmarks=true&resourceVersion=%d&timeoutSeconds=%d&watch=true" % (rnd.randrange(10**7), rnd.randrange(300, 600))
    ev = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level, "auditID": "%08x-%04x-%04x-%04x-%012x" % (
            rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(16), rnd.getrandbits(16), rnd.getrandbits(48)),
          "stage": "ResponseStarted" if code == 401 else "ResponseComplete", "requestURI": uri, "verb": verb,
          "user": {"username": user, "uid": "%032x" % rnd.getrandbits(128), "groups": groups,
                   "extra": {"authentication.kubernetes.io/credential-id": ["JTI=%032x" % rnd.getrandbits(128)],
                             "authentication.kubernetes.io/node-name": ["node-%d" % rnd.randrange(50)],
                             "authentication.kubernetes.io/node-uid": ["%032x" % rnd.getrandbits(128)],
                             "authentication.kubernetes.io/pod-name": ["%s-%05x" % (res, rnd.getrandbits(20))],
                             "authentication.kubernetes.io/pod-uid": ["%032x" % rnd.getrandbits(128)]}} if user else {},
          "sourceIPs": ["10.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))],
          "userAgent": "kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:generic-garbage-collector",
          "objectRef": dict({"resource": res, "apiVersion": "v1"}, **({"namespace": n_} if n_ else {}), **({"name": name} if name else {}),
                            **({"subresource": sub} if sub else {}), **({"apiGroup": group} if group else {})),
          "responseStatus": {"metadata": {}, "code": code},
          "requestReceivedTimestamp": ts(i), "stageTimestamp": ts(i),
          "annotations": {"authorization.k8s.io/decision": "allow" if code < 400 else "forbid",
                          "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding \"system:controller:%s\" of ClusterRole \"system:controller:%s\" to ServiceAccount \"%s/kube-system\"" % (res, res, res)}}
    if obj:
        ev["requestObject"] = obj
        ev["responseObject"] = obj
    out.write(json.dumps(ev, separators=(",", ":")))
    out.write("\n")

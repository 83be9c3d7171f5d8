#!/usr/bin/env bash
# deploy.sh -- the deployment in deploy/ renders with `kubectl kustomize`
# (the base, the base with the cert-manager component, and the overlay
# recipes of docs/deploy.md), holds what docs/deploy.md promises (checked
# structurally in Python on the rendered YAML), and `kubeharden scan` finds
# nothing in it, not even suppressed findings. The scan is shown not to be vacuous: the same render with
# readOnlyRootFilesystem removed gives a finding. Skips (77) without kubectl.
set -u
source "$(dirname "$0")/lib/check.bash"

command -v kubectl >/dev/null || { echo "skip: kubectl not installed"; exit 77; }
python3 -c 'import yaml' 2>/dev/null || { echo "skip: python3-yaml not installed"; exit 77; }

# kustomize refuses absolute paths in resources, so the overlay that adds
# the component names the source tree relative to itself.
mkdir overlay
rel=$(realpath --relative-to="$tmp/overlay" "$src/deploy")
printf 'resources: [%s]\ncomponents: [%s/cert-manager]\n' "$rel" "$rel" > overlay/kustomization.yaml

kubectl kustomize "$src/deploy" > base.yaml 2> err.txt
check "kubectl kustomize deploy/ renders" 0 $?
cat err.txt
kubectl kustomize overlay > cm.yaml 2> err.txt
check "kubectl kustomize deploy/ with deploy/cert-manager renders" 0 $?
cat err.txt

# The recipes of docs/deploy.md: the user's image by digest, and a second
# webhook that routes labelled namespaces to baseline.
mkdir recipes
digest=$(printf '1%.0s' {1..64})
cat > recipes/kustomization.yaml <<EOF
resources: [$(realpath --relative-to="$tmp/recipes" "$src/deploy")]
images:
- name: registry.example/kubeharden/kubeharden
  newName: registry.example/team/kubeharden
  digest: sha256:$digest
patches:
- target: {kind: ValidatingWebhookConfiguration, name: kubeharden}
  patch: |-
    - op: add
      path: /webhooks/0/namespaceSelector/matchExpressions/-
      value: {key: kubeharden.io/level, operator: NotIn, values: [baseline]}
    - op: copy
      from: /webhooks/0
      path: /webhooks/-
    - {op: replace, path: /webhooks/1/name, value: baseline.pods.kubeharden.io}
    - {op: replace, path: /webhooks/1/clientConfig/service/path, value: /validate/baseline}
    - op: replace
      path: /webhooks/1/namespaceSelector/matchExpressions
      value:
      - {key: kubernetes.io/metadata.name, operator: NotIn, values: [kubeharden-system, kube-system]}
      - {key: kubeharden.io/level, operator: In, values: [baseline]}
EOF
kubectl kustomize recipes > recipes.yaml 2> err.txt
check "the overlay recipes of docs/deploy.md render" 0 $?
cat err.txt
contains "an overlay's images: replaces the placeholder" recipes.yaml \
    "image: registry.example/team/kubeharden@sha256:$digest"

# No findings, none suppressed, every object read. The second scan reads a
# FIFO named as an argument, as the documentation's command does.
for f in base.yaml cm.yaml recipes.yaml; do
    "$bin" scan --no-config -o json "$f" > scan.json
    check "$f: scan exits 0" 0 $?
    python3 - scan.json "$f" <<'EOF' || fails=$((fails + 1))
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
bad = s["findings"] or s["suppressed"] or s["errors"] or s["objects"] < 6
print(("FAIL" if bad else "ok") + ": %s: %d findings, %d suppressed, %d errors in %d objects"
      % (sys.argv[2], s["findings"], s["suppressed"], s["errors"], s["objects"]))
sys.exit(1 if bad else 0)
EOF
done
"$bin" scan --no-config <(kubectl kustomize "$src/deploy") > out.txt
check "scan <(kubectl kustomize deploy/) exits 0" 0 $?
contains "scan <(kubectl kustomize deploy/) reads the objects" out.txt "in 8 objects"

grep -v 'readOnlyRootFilesystem' base.yaml > weak.yaml
"$bin" scan --no-config weak.yaml > out.txt
check "the scan is not vacuous: a writable root filesystem is a finding" 1 $?
contains "the finding names the rule" out.txt "workload.writable-root-filesystem"

python3 - base.yaml cm.yaml recipes.yaml <<'EOF' || fails=$((fails + $?))
import re, sys, yaml

fails = 0
def check(what, ok):
    global fails
    print(("ok: " if ok else "FAIL: ") + what)
    fails += not ok

def load(path):
    objs = {}
    for d in yaml.safe_load_all(open(path)):
        if d:
            objs.setdefault(d["kind"], []).append(d)
    return objs

base, cm = load(sys.argv[1]), load(sys.argv[2])
NS = "kubeharden-system"
def one(objs, kind):
    check("one %s" % kind, len(objs.get(kind, [])) == 1)
    return objs.get(kind, [{}])[0]

ns = one(base, "Namespace")
labels = ns.get("metadata", {}).get("labels", {})
check("namespace is " + NS, ns["metadata"]["name"] == NS)
for mode in ("enforce", "audit", "warn"):
    check("namespace %s level is restricted" % mode,
          labels.get("pod-security.kubernetes.io/" + mode) == "restricted")
namespaced = [o for k, l in base.items() for o in l
              if k not in ("Namespace", "ValidatingWebhookConfiguration")]
check("every namespaced object is in " + NS,
      all(o["metadata"].get("namespace") == NS for o in namespaced))

sa = one(base, "ServiceAccount")
check("service account does not automount a token", sa.get("automountServiceAccountToken") is False)

dep = one(base, "Deployment")
spec = dep["spec"]
pod = spec["template"]["spec"]
podlabels = spec["template"]["metadata"]["labels"]
check("3 replicas", spec.get("replicas") == 3)
check("pod uses the service account", pod.get("serviceAccountName") == sa["metadata"]["name"])
check("pod does not automount a token", pod.get("automountServiceAccountToken") is False)
psc = pod.get("securityContext", {})
check("pod runAsNonRoot", psc.get("runAsNonRoot") is True)
check("pod runAsUser non-zero", isinstance(psc.get("runAsUser"), int) and psc["runAsUser"] > 0)
check("pod seccomp RuntimeDefault", psc.get("seccompProfile", {}).get("type") == "RuntimeDefault")
keys = {c.get("topologyKey") for c in pod.get("topologySpreadConstraints", [])}
check("spread across hosts and zones",
      {"kubernetes.io/hostname", "topology.kubernetes.io/zone"} <= keys)
for c in pod.get("topologySpreadConstraints", []):
    sel = c.get("labelSelector", {}).get("matchLabels", {})
    check("spread on %s selects the pods" % c.get("topologyKey"),
          sel and all(podlabels.get(k) == v for k, v in sel.items()))
anti = pod.get("affinity", {}).get("podAntiAffinity", {})
terms = [t.get("podAffinityTerm", t) for t in
         anti.get("preferredDuringSchedulingIgnoredDuringExecution", []) +
         anti.get("requiredDuringSchedulingIgnoredDuringExecution", [])]
check("pod anti-affinity by host",
      any(t.get("topologyKey") == "kubernetes.io/hostname" for t in terms))

check("one container", len(pod.get("containers", [])) == 1)
c = pod["containers"][0]
check("image pinned by sha256 digest: " + c.get("image", ""),
      re.search(r"@sha256:[0-9a-f]{64}$", c.get("image", "")) is not None)
csc = c.get("securityContext", {})
check("container allowPrivilegeEscalation false", csc.get("allowPrivilegeEscalation") is False)
check("container drops ALL capabilities", csc.get("capabilities", {}).get("drop") == ["ALL"])
check("container adds no capabilities", not csc.get("capabilities", {}).get("add"))
check("container readOnlyRootFilesystem", csc.get("readOnlyRootFilesystem") is True)
res = c.get("resources", {})
for kind in ("requests", "limits"):
    check("container %s cpu and memory" % kind, {"cpu", "memory"} <= set(res.get(kind, {})))
ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
def port_of(p):
    return ports.get(p) if isinstance(p, str) else p
for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
    g = c.get(probe, {}).get("httpGet", {})
    check("%s GET %s over HTTPS on 8443" % (probe, path),
          g.get("path") == path and g.get("scheme") == "HTTPS" and port_of(g.get("port")) == 8443)
args = c.get("args", []) + c.get("command", [])
check("container runs serve", "serve" in args)
check("server listens on 8443", "--secure-port=8443" in args)

vols = {v["name"]: v for v in pod.get("volumes", [])}
mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
tls = [n for n, v in vols.items() if "secret" in v]
check("one secret volume", len(tls) == 1)
tlsname = tls[0] if tls else None
secret = vols[tlsname]["secret"]["secretName"] if tlsname else None
m = mounts.get(tlsname, {})
check("TLS secret mounted read-only", m.get("readOnly") is True)
check("TLS secret mounted whole (subPath never sees a renewal)", "subPath" not in m)
mdir = m.get("mountPath", "")
for flag, f in (("--tls-cert-file", "tls.crt"), ("--tls-private-key-file", "tls.key")):
    check("%s is in the TLS mount" % flag, "%s=%s/%s" % (flag, mdir, f) in args)

pdb = one(base, "PodDisruptionBudget")
check("PDB maxUnavailable 1", pdb["spec"].get("maxUnavailable") == 1)
sel = pdb["spec"].get("selector", {}).get("matchLabels", {})
check("PDB selects the pods", sel and all(podlabels.get(k) == v for k, v in sel.items()))

svc = one(base, "Service")
sel = svc["spec"].get("selector", {})
check("Service selects the pods", sel and all(podlabels.get(k) == v for k, v in sel.items()))
sp = svc["spec"].get("ports", [])
check("Service 443 -> 8443",
      len(sp) == 1 and sp[0].get("port") == 443 and port_of(sp[0].get("targetPort")) == 8443)
check("Service is ClusterIP", svc["spec"].get("type", "ClusterIP") == "ClusterIP")

vwc = one(base, "ValidatingWebhookConfiguration")
check("webhook configuration is admissionregistration.k8s.io/v1",
      vwc.get("apiVersion") == "admissionregistration.k8s.io/v1")
hooks = vwc.get("webhooks", [])
check("at least one webhook", len(hooks) >= 1)
# Each path segment must be a DNS-1123 subdomain, as the API server
# validates a service path (k8s.io/apiserver pkg/util/webhook/validation.go):
# no query string can be set there.
dns1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
for h in hooks:
    n = h.get("name", "?")
    check(n + ": sideEffects None", h.get("sideEffects") == "None")
    check(n + ": admissionReviewVersions v1, v1beta1",
          h.get("admissionReviewVersions") == ["v1", "v1beta1"])
    check(n + ": timeoutSeconds 1..30", 1 <= h.get("timeoutSeconds", 0) <= 30)
    check(n + ": failurePolicy set", h.get("failurePolicy") in ("Fail", "Ignore"))
    exprs = h.get("namespaceSelector", {}).get("matchExpressions", [])
    excluded = {v for e in exprs if e.get("key") == "kubernetes.io/metadata.name"
                and e.get("operator") == "NotIn" for v in e.get("values", [])}
    check(n + ": namespaceSelector excludes %s and kube-system" % NS,
          {NS, "kube-system"} <= excluded)
    s = h.get("clientConfig", {}).get("service", {})
    check(n + ": calls the Service on 443",
          s.get("name") == svc["metadata"]["name"] and s.get("namespace") == NS
          and s.get("port", 443) == 443)
    path = s.get("path", "")
    check(n + ": path /validate/<level>: " + path,
          re.fullmatch(r"/validate/(privileged|baseline|restricted)", path) is not None)
    check(n + ": path segments are DNS-1123 subdomains",
          all(dns1123.match(x) for x in path.strip("/").split("/")))
    ops = {}
    for r in h.get("rules", []):
        for g in r.get("apiGroups", []):
            for res in r.get("resources", []):
                ops.setdefault((g, res), set()).update(r.get("operations", []))
    check(n + ": pods on CREATE and UPDATE", {"CREATE", "UPDATE"} <= ops.get(("", "pods"), set()))
    check(n + ": pods/ephemeralcontainers on UPDATE",
          "UPDATE" in ops.get(("", "pods/ephemeralcontainers"), set()))
    for g, res in (("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"),
                   ("apps", "replicasets"), ("batch", "jobs"), ("batch", "cronjobs"),
                   ("", "replicationcontrollers"), ("", "podtemplates")):
        check("%s: %s on CREATE and UPDATE" % (n, res),
              {"CREATE", "UPDATE"} <= ops.get((g, res), set()))
restricted = [h for h in hooks if h.get("clientConfig", {}).get("service", {}).get("path")
              == "/validate/restricted"]
check("base routes to /validate/restricted", len(restricted) >= 1)

# cert-manager: the serving Certificate writes the Secret the pods mount,
# names the Service, and is the one the caBundle is injected from.
cvwc = one(cm, "ValidatingWebhookConfiguration")
ann = cvwc.get("metadata", {}).get("annotations", {}).get("cert-manager.io/inject-ca-from", "")
certs = {"%s/%s" % (x["metadata"].get("namespace"), x["metadata"]["name"]): x
         for x in cm.get("Certificate", [])}
check("cert-manager: caBundle injected from a Certificate in the output: " + ann, ann in certs)
serving = certs.get(ann, {}).get("spec", {})
check("cert-manager: the Certificate writes the mounted Secret",
      serving.get("secretName") == secret)
check("cert-manager: the Certificate names the Service",
      "%s.%s.svc" % (svc["metadata"]["name"], NS) in serving.get("dnsNames", []))
check("cert-manager: serving certificate is not a CA", not serving.get("isCA"))
issuers = {x["metadata"]["name"] for x in cm.get("Issuer", [])}
check("cert-manager: every Certificate's issuer is in the output",
      all(x["spec"]["issuerRef"]["name"] in issuers for x in certs.values()))
rest = {k: len(v) for k, v in cm.items() if k not in ("Certificate", "Issuer")}
check("cert-manager: the base objects are unchanged in number",
      rest == {k: len(v) for k, v in base.items()})
# The routing recipe: two webhooks, one per level, that no namespace
# label set can both match (one has NotIn where the other has In).
rhooks = {h["clientConfig"]["service"]["path"]: h for h in load(sys.argv[3])
          ["ValidatingWebhookConfiguration"][0]["webhooks"]}
check("recipe: webhooks for restricted and baseline",
      set(rhooks) == {"/validate/restricted", "/validate/baseline"})
def sel(path):
    return {(e["key"], e["operator"], tuple(e["values"]))
            for e in rhooks.get(path, {}).get("namespaceSelector", {}).get("matchExpressions", [])}
check("recipe: the two selectors are disjoint",
      ("kubeharden.io/level", "NotIn", ("baseline",)) in sel("/validate/restricted")
      and ("kubeharden.io/level", "In", ("baseline",)) in sel("/validate/baseline"))
check("recipe: the webhooks have distinct names", len({h["name"] for h in rhooks.values()}) == 2)
sys.exit(min(fails, 100))
EOF

# deploy/node-audit: not in the base, renders, passes scan with only the
# suppressions a node auditor cannot avoid (each with its reason), and holds
# the privileges docs/node.md states and no more.
lacks "the base does not include the node audit" base.yaml "kind: DaemonSet"
kubectl kustomize "$src/deploy/node-audit" > node-audit.yaml 2> err.txt
check "kubectl kustomize deploy/node-audit renders" 0 $?
cat err.txt
for level in restricted baseline; do
    "$bin" scan --no-config --pss-level $level -o json node-audit.yaml > na.json
    check "node-audit ($level): scan exits 0" 0 $?
    python3 - na.json $level <<'EOF' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
sup = sorted({f["ruleId"] for f in d["findings"] if f.get("suppressed")})
allowed = {"pss.baseline.host-namespaces", "pss.baseline.host-path-volumes", "pss.baseline.capabilities",
           "pss.restricted.capabilities", "pss.restricted.run-as-non-root", "pss.restricted.run-as-user",
           "pss.restricted.volume-types", "workload.no-liveness-probe", "workload.no-readiness-probe"}
bad = s["findings"] or s["errors"] or not set(sup) <= allowed or \
      any(not f.get("suppressed") for f in d["findings"])
print(("FAIL" if bad else "ok") + ": node-audit (%s): %d findings, suppressed %s" % (sys.argv[2], s["findings"], sup))
sys.exit(1 if bad else 0)
EOF
done
python3 - node-audit.yaml <<'EOF' || fails=$((fails + 1))
import sys, yaml
fails = 0
def check(what, ok):
    global fails
    print(("ok: " if ok else "FAIL: ") + what); fails += not ok
objs = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
pod = objs["DaemonSet"]["spec"]["template"]["spec"]
check("node-audit: hostNetwork (sockets), no hostPID, no hostIPC",
      pod.get("hostNetwork") is True and not pod.get("hostPID") and not pod.get("hostIPC"))
check("node-audit: no service-account token", pod.get("automountServiceAccountToken") is False)
a = pod["initContainers"][0]
sc = a["securityContext"]
check("node-audit: audits /host, exits 0", "--root=/host" in a["args"] and "--fail-on=never" in a["args"])
check("node-audit: capabilities drop ALL, add only DAC_READ_SEARCH and SYS_PTRACE",
      sc["capabilities"]["drop"] == ["ALL"] and sorted(sc["capabilities"]["add"]) == ["DAC_READ_SEARCH", "SYS_PTRACE"])
check("node-audit: not privileged, no escalation, read-only root",
      not sc.get("privileged") and sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem") is True)
vols = {v["name"]: v for v in pod["volumes"]}
m = a["volumeMounts"][0]
check("node-audit: / mounted read-only at /host",
      vols[m["name"]]["hostPath"]["path"] == "/" and m["mountPath"] == "/host" and m.get("readOnly") is True)
c = pod["containers"][0]
check("node-audit: the pause container runs as non-root with nothing added",
      c["securityContext"].get("runAsNonRoot") is True and c["securityContext"]["capabilities"] == {"drop": ["ALL"]})
check("node-audit: pause pinned by digest", "@sha256:" in c["image"])
sys.exit(min(fails, 100))
EOF

# deploy/cluster-scan: not in the base, renders, passes scan with nothing
# found, and its ClusterRole reads what the rules read and writes only
# PolicyReports: no Secret, no subresource, no watch.
lacks "the base does not include the cluster scan" base.yaml "kind: CronJob"
kubectl kustomize "$src/deploy/cluster-scan" > cluster-scan.yaml 2> err.txt
check "kubectl kustomize deploy/cluster-scan renders" 0 $?
cat err.txt
"$bin" scan --no-config cluster-scan.yaml > out.txt 2>&1
check "cluster-scan: scan exits 0" 0 $?
contains "cluster-scan: no findings" out.txt "no findings in 7 objects"
python3 - cluster-scan.yaml <<'EOF' || fails=$((fails + 1))
import sys, yaml
fails = 0
def check(what, ok):
    global fails
    print(("ok: " if ok else "FAIL: ") + what); fails += not ok
objs = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
rules = objs["ClusterRole"]["rules"]
reads = [r for r in rules if r["apiGroups"] != ["wgpolicyk8s.io"]]
writes = [r for r in rules if r["apiGroups"] == ["wgpolicyk8s.io"]]
check("cluster-scan: reads are get and list only", all(r["verbs"] == ["get", "list"] for r in reads))
check("cluster-scan: no Secret, no subresource, no wildcard",
      all(res != "secrets" and "/" not in res and "*" not in res
          for r in rules for res in r["resources"]) and
      all("*" not in g for r in rules for g in r["apiGroups"]))
check("cluster-scan: writes only PolicyReports",
      len(writes) == 1 and sorted(writes[0]["resources"]) == ["clusterpolicyreports", "policyreports"])
crb = objs["ClusterRoleBinding"]
check("cluster-scan: bound to its own service account only",
      crb["subjects"] == [{"kind": "ServiceAccount", "name": "kubeharden-cluster-scan",
                           "namespace": "kubeharden-cluster-scan"}])
job = objs["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
c = job["containers"][0]
check("cluster-scan: scans the cluster and applies the reports",
      c["args"][:3] == ["scan", "--cluster", "--apply"] and "never" in c["args"])
check("cluster-scan: never overlaps", objs["CronJob"]["spec"]["concurrencyPolicy"] == "Forbid")
sys.exit(min(fails, 100))
EOF

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }

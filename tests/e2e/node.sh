#!/usr/bin/env bash
# node.sh -- `kubeharden node --root` on the fixture node trees of
# tests/fixtures/node (kubeadm-style control plane and workers, good and
# bad): each check that must fail, warn or pass does, with its evidence,
# and the exit status follows --fail-on.
set -u
. "$(dirname "$0")/lib/check.bash"
fx=$src/tests/fixtures/node
root_user=0; [ "$(id -u)" -eq 0 ] && root_user=1

for t in controlplane controlplane-bad worker worker-bad; do
    bash "$fx/prepare.sh" "$fx/$t" "$tmp/$t" || { echo "FAIL: prepare $t"; exit 1; }
done

# expect FILE.json ARGS: "RULE~STATUS~TEXT @PLACE" must be a finding (STATUS
# FAIL/WARN/INFO, TEXT in its message, file:line:col starting with PLACE),
# "!RULE" must not be one; owner
# checks (cis.1.1.2 ...) are skipped when the test cannot chown.
expect() {
    python3 - "$root_user" "$@" <<'PY'
import json, sys
root, path, wants = sys.argv[1] == "1", sys.argv[2], sys.argv[3:]
found = json.load(open(path))["findings"]
owner = {"cis.1.1.2", "cis.1.1.4", "cis.1.1.6", "cis.1.1.8", "cis.1.1.10", "cis.1.1.12",
         "cis.1.1.14", "cis.1.1.16", "cis.1.1.18", "cis.1.1.19", "cis.4.1.2", "cis.4.1.4",
         "cis.4.1.6", "cis.4.1.8", "cis.4.1.10"}
bad = 0
for w in wants:
    rule = w.lstrip("!").split("~")[0]
    if not root and rule in owner:
        continue
    if w.startswith("!"):
        hits = [f for f in found if f["ruleId"] == rule]
        ok = not hits
        what = "no finding " + rule + ("" if ok else ": " + hits[0]["message"])
    else:
        rule, status, sub = (w.split("~", 2) + ["", ""])[:3]
        text, _, place = sub.partition(" @")   # "evidence @file:line:col" (place is a prefix)
        hits = [f for f in found if f["ruleId"] == rule and f["message"].startswith(status + ":")
                and text in f["message"]
                and ("%s:%s:%s" % (f["file"], f["line"], f["column"])).startswith(place)]
        ok = bool(hits)
        what = w
        if not ok:
            what += " -- got: " + "; ".join(f["message"] + " @%s:%s:%s" % (f["file"], f["line"], f["column"])
                                           for f in found if f["ruleId"] == rule) or w + " -- no finding"
    print(("ok: " if ok else "FAIL: ") + path.rsplit("/", 1)[-1] + ": " + what)
    bad += not ok
sys.exit(1 if bad else 0)
PY
    [ $? -eq 0 ] || fails=$((fails + 1))
}

# --- kubeadm control plane, hardened: only manual checks and notes remain
"$bin" node --root "$tmp/controlplane" -o json > cp.json; check "good control plane exits 0" 0 $?
"$bin" node --root "$tmp/controlplane" --show-pass -o json > cp-all.json
# --authorization-config and --authentication-config (mapped through the pod's hostPath)
expect cp-all.json \
    "cis.1.2.7~PASS~authorizers[].type=Node,RBAC @/etc/kubernetes/authz/authorization.yaml:4:1" \
    "cis.1.2.6~PASS~authorizers[].type=Node,RBAC" \
    "cis.1.4.1~PASS~enableProfiling=false @/etc/kubernetes/scheduler-config/config.yaml:5:18" \
    "cis.1.1.15~PASS~mode as expected @/etc/kubernetes/scheduler.conf" \
    "cis.4.3.1~PASS~metricsBindAddress=127.0.0.1:10249 @/var/lib/kube-proxy/config.conf:5:21" \
    "cis.4.1.3~PASS~mode as expected @/var/lib/kube-proxy/kubeconfig.conf"
expect cp.json "cis.1.2.20~WARN~manual" "cis.3.1.1~WARN" \
    "cis.1.2.1~WARN~anonymous.enabled=true (only for /livez /readyz) @/etc/kubernetes/authz/authentication.yaml:4:12" \
    '!cis.1.1.1' '!cis.1.1.2' '!cis.1.1.11' '!cis.1.1.12' '!cis.1.1.19' '!cis.1.1.21' \
    '!cis.1.2.6' '!cis.1.2.28' '!cis.1.3.7' '!cis.2.2' '!cis.2.7' '!cis.3.2.1' \
    '!cis.3.2.2' '!cis.4.1.9' '!cis.4.2.1' '!cis.4.2.4' '!cis.4.2.12' '!cis.4.3.1' \
    '!node.listener.etcd-client-exposed' '!node.kubelet.protect-kernel-defaults' \
    '!node.os.container-optimized' \
    "node.listener.unknown~INFO~0.0.0.0:22 by sshd (pid 200)" \
    "node.runtime.user-namespaces~INFO~UserNamespacesSupport=true (config)"
python3 -c '
import json,sys
d=json.load(open("cp.json"))
bad=[f["ruleId"] for f in d["findings"] if f["severity"]!="info"]
sys.exit(1 if bad else 0)' || { echo "FAIL: good control plane has non-info findings"; fails=$((fails + 1)); }

# --- the same node, weakened
"$bin" node --root "$tmp/controlplane-bad" -o json > cpb.json; check "bad control plane exits 1" 1 $?
expect cpb.json \
    "cis.1.1.1~FAIL~mode 644 @/etc/kubernetes/manifests/kube-apiserver.yaml" \
    "cis.1.1.11~FAIL~mode 755 @/var/lib/etcd" \
    "cis.1.1.12~FAIL~owner root:root (0:0)" \
    "cis.1.1.13~FAIL~mode 644 @/etc/kubernetes/admin.conf" \
    "cis.1.1.21~WARN~mode 644 @/etc/kubernetes/pki/sa.key" \
    "cis.1.2.1~WARN~--anonymous-auth not set (default 'true') @/proc/101/cmdline" \
    "cis.1.2.2~FAIL~--token-auth-file=/etc/kubernetes/tokens.csv" \
    "cis.1.2.6~FAIL~--authorization-mode=AlwaysAllow (expected --authorization-mode without AlwaysAllow); fix: set --authorization-mode=Node,RBAC @/etc/kubernetes/manifests/kube-apiserver.yaml:21:7" \
    "cis.1.2.10~FAIL~AlwaysAdmit" "cis.1.2.12~FAIL~ServiceAccount" \
    "cis.1.2.15~FAIL~--profiling not set (default 'true')" \
    "cis.1.2.17~FAIL~--audit-log-maxage=7" "cis.1.2.21~FAIL~--service-account-lookup=false" \
    "cis.1.2.28~WARN~first provider for secrets: identity @/etc/kubernetes/enc/encryption.yaml:6:5" \
    "cis.1.2.29~WARN~'TLS_RSA_WITH_AES_128_CBC_SHA' is not a strong cipher" \
    "cis.1.3.6~FAIL~RotateKubeletServerCertificate=false" \
    "cis.1.3.7~FAIL~--bind-address not set (default '0.0.0.0')" \
    "cis.1.4.2~FAIL~--bind-address=0.0.0.0" \
    "cis.2.2~FAIL~--client-cert-auth=false @/proc/104/cmdline" "cis.2.3~FAIL~--auto-tls=true" \
    '!cis.2.5' "cis.2.7~WARN~--trusted-ca-file not set" \
    "cis.3.2.2~WARN~secrets at level RequestResponse, but rules[1] drops some secrets requests @/etc/kubernetes/audit-host/policy.yaml" \
    "cis.4.1.10~FAIL~owner 1000:1000" \
    "cis.4.2.1~FAIL~--anonymous-auth=true (flag)" \
    "cis.4.2.3~FAIL~authentication.x509.clientCAFile not set" \
    "cis.4.2.4~WARN~--read-only-port=10255 (flag)" \
    "cis.4.2.5~WARN~streamingConnectionIdleTimeout=0s (config) @/var/lib/kubelet/config.yaml:16:33" \
    "cis.4.2.6~FAIL~makeIPTablesUtilChains=false (config)" \
    "cis.4.2.10~FAIL~rotateCertificates=false (default)" \
    "node.listener.etcd-client-exposed~FAIL~tcp 0.0.0.0:2379 by etcd (pid 104)" \
    "node.listener.insecure-api-port~FAIL~tcp 127.0.0.1:8080 by kube-apiserver (pid 101)" \
    "node.listener.kubelet-read-only~FAIL~tcp 0.0.0.0:10255 by kubelet (pid 105)" \
    "node.os.container-optimized~INFO~general-purpose OS: Debian" \
    "node.os.reboot-required~WARN~for: linux-image-6.1.0-28-amd64 libc6"

# --- worker: --config-dir drop-in closes the read-only port the base file opens;
# --hostname_override takes the next word (--rotate-certificates) as its value
"$bin" node --root "$tmp/worker" -o json > w.json; check "good worker exits 0" 0 $?
expect w.json '!cis.4.2.4' '!cis.4.2.10' '!cis.4.1.7' '!cis.4.1.9' '!cis.4.2.12' '!cis.4.3.1' \
    '!node.os.container-optimized' '!node.kubelet.protect-kernel-defaults' \
    "cis.4.2.7~WARN~--hostname-override=--rotate-certificates (flag)" \
    "cis.1.2.6~WARN~kube-apiserver not found on this node" \
    "node.listener.unknown~INFO~udp 0.0.0.0:68 by an unknown process"

# --- the same worker offline (no kubelet process): its command line from the
# systemd unit, drop-in and EnvironmentFile ($KUBELET_KUBEADM_ARGS split into words)
rm -rf "$tmp/worker/proc/300"
"$bin" node --root "$tmp/worker" --show-pass -o json > wo.json; check "offline worker exits 0" 0 $?
expect wo.json \
    "cis.4.2.4~PASS~--read-only-port=0 (flag) @/var/lib/kubelet/kubeadm-flags.env:1:" \
    "cis.4.2.1~PASS~authentication.anonymous.enabled=false (config) @/var/lib/kubelet/config.yaml:6" \
    "cis.4.1.5~PASS~mode as expected @/etc/kubernetes/kubelet.conf" \
    "cis.4.2.7~PASS~--hostname-override not set @/etc/systemd/system/kubelet.service.d/10-kubeadm.conf:6"
"$bin" node --root "$tmp/worker" > wo.txt
contains "offline kubelet named with its unit" wo.txt \
    "kubelet (not running; /etc/systemd/system/kubelet.service.d/10-kubeadm.conf)"

# --- worker without --config: the kubelet's legacy flag defaults
"$bin" node --root "$tmp/worker-bad" -o json > wb.json; check "bad worker exits 1" 1 $?
expect wb.json "cis.4.1.1~FAIL~mode 644 @/etc/systemd/system/kubelet.service" \
    "cis.4.1.3~WARN~mode 666" "cis.4.1.5~FAIL~mode 644" \
    "cis.4.2.1~FAIL~--anonymous-auth=true (default)" \
    "cis.4.2.2~FAIL~--authorization-mode=AlwaysAllow (default)" \
    "cis.4.2.4~WARN~--read-only-port=10255 (default)" \
    "cis.4.3.1~FAIL~--metrics-bind-address=0.0.0.0:10249" \
    "node.kubelet.protect-kernel-defaults~FAIL~--protect-kernel-defaults=false (flag)" \
    "node.listener.kubelet-read-only~FAIL~0.0.0.0:10255 by kubelet (pid 400)"
"$bin" node --root "$tmp/worker-bad" --fail-on critical > /dev/null; check "--fail-on critical" 1 $?
"$bin" node --root "$tmp/controlplane" --fail-on info > /dev/null; check "--fail-on info counts WARN" 1 $?

# --- text: components, findings by file, counts per section
"$bin" node --root "$tmp/controlplane-bad" --no-color > cpb.txt
contains "text lists components" cpb.txt "Components: kube-apiserver (pid 101)"
contains "text counts per section" cpb.txt "section  pass  fail  warn  info"
contains "text shows manifest position" cpb.txt "21:7  critical  cis.1.2.6"
for fmt in sarif junit; do
    "$bin" node --root "$tmp/controlplane-bad" -o $fmt > out.$fmt; check "-o $fmt" 1 $?
done
python3 -c 'import json; json.load(open("out.sarif"))' && echo "ok: sarif is JSON" ||
    { echo "FAIL: sarif"; fails=$((fails + 1)); }
python3 -c 'import xml.dom.minidom as m; m.parse("out.junit")' && echo "ok: junit is XML" ||
    { echo "FAIL: junit"; fails=$((fails + 1)); }

# --- input errors and usage
printf 'kind: KubeletConfiguration\nreadOnlyPort: [\n' > "$tmp/worker/var/lib/kubelet/config.yaml"
"$bin" node --root "$tmp/worker" > broken.txt; check "malformed kubelet config exits 2" 2 $?
contains "error names the file" broken.txt "/var/lib/kubelet/config.yaml:"
"$bin" node --root "$tmp/nonexistent" 2> err.txt; check "missing root exits 2" 2 $?
contains "missing root message" err.txt "is not a directory"
"$bin" node extra 2> /dev/null; check "stray argument exits 2" 2 $?
[ $fails -eq 0 ]

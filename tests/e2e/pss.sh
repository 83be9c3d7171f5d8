#!/usr/bin/env bash
# pss.sh -- the Pod Security options driven as a user would: --pss-level
# baseline drops the restricted findings, --pss-version changes versioned
# results, the config file's pss: section does the same, --kube-version
# changes what the API server does before admission, restricted runs
# exactly upstream's checks (replaced baseline checks do not run), and bad
# values are usage errors.
set -u
. "$(dirname "$0")/lib/check.bash"

# Baseline-clean, restricted-dirty, and an init container that adds CHOWN
# (allowed by baseline, not by restricted v1.22+).
cat > pod.yaml <<'Y'
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  initContainers:
  - name: init
    image: registry.example/init:1
    securityContext:
      allowPrivilegeEscalation: false
      runAsNonRoot: true
      seccompProfile: {type: RuntimeDefault}
      capabilities: {drop: [ALL], add: [CHOWN]}
  containers:
  - name: app
    image: registry.example/web:1.4
Y

"$bin" scan --no-config --rule pss.restricted.privilege-escalation pod.yaml > out 2>&1
check "restricted is the default level" 1 $?
contains "message reads like the API server" out \
    'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)'

"$bin" scan --no-config -o json pod.yaml > all.json 2>&1
contains "restricted capabilities reported at latest" all.json '"ruleId": "pss.restricted.capabilities"'
contains "the add entry is named by path" all.json 'spec.initContainers[0].securityContext.capabilities.add[0]'

"$bin" scan --no-config -o json --pss-level baseline pod.yaml > base.json 2>&1
lacks "--pss-level baseline skips restricted findings" base.json '"ruleId": "pss.restricted.'
"$bin" scan --no-config --pss-level baseline --rule pss.restricted.seccomp \
    --rule pss.baseline.capabilities pod.yaml > /dev/null 2>&1
check "--pss-level baseline: a baseline-clean pod exits 0" 0 $?

"$bin" scan --no-config -o json --pss-version v1.21 pod.yaml > v121.json 2>&1
lacks "--pss-version v1.21: no restricted capabilities check yet" v121.json \
    '"ruleId": "pss.restricted.capabilities"'
contains "--pss-version v1.21: other restricted checks still run" v121.json \
    '"ruleId": "pss.restricted.run-as-non-root"'

# runAsUser: 0 is a restricted finding from v1.23 only.
cat > root.yaml <<'Y'
apiVersion: v1
kind: Pod
metadata: {name: root, namespace: shop}
spec:
  securityContext: {runAsUser: 0}
  containers:
  - {name: app, image: registry.example/web:1.4}
Y
"$bin" scan --no-config --rule pss.restricted.run-as-user root.yaml > out 2>&1
check "runAsUser 0 fails at latest" 1 $?
"$bin" scan --no-config --rule pss.restricted.run-as-user --pss-version v1.22 root.yaml > out 2>&1
check "--pss-version v1.22 changes a versioned result (runAsUser from v1.23)" 0 $?
"$bin" scan --no-config --rule pss.restricted.run-as-user --pss-version v1.23 root.yaml > out 2>&1
check "--pss-version v1.23 has the runAsUser check" 1 $?

# The config file's pss: section, and options winning over it.
printf 'pss:\n  level: baseline\n' > base.kubeharden.yaml
"$bin" scan --config base.kubeharden.yaml --rule pss.restricted.run-as-user root.yaml > out 2>&1
check "pss.level in the config file" 0 $?
"$bin" scan --config base.kubeharden.yaml --pss-level restricted \
    --rule pss.restricted.run-as-user root.yaml > out 2>&1
check "--pss-level wins over the config file" 1 $?

"$bin" scan --no-config --pss-version 1.22 root.yaml > out 2>&1
check "a version without v is a usage error" 2 $?
contains "the bad version is named" out "'1.22'"
"$bin" scan --no-config --pss-level strict root.yaml > out 2>&1
check "an unknown level is a usage error" 2 $?

# --kube-version: the API server's version decides the seccomp annotation sync
# (annotation to field from v1.19 to v1.26), and the Pod Security version
# follows it unless given.
cat > ann.yaml <<'Y'
apiVersion: v1
kind: Pod
metadata:
  name: ann
  namespace: shop
  annotations: {seccomp.security.alpha.kubernetes.io/pod: runtime/default}
spec:
  containers:
  - {name: app, image: registry.example/web:1.4}
Y
"$bin" scan --no-config --rule pss.restricted.seccomp --kube-version v1.26 ann.yaml > out 2>&1
check "a v1.26 API server copies the seccomp annotation into the field" 0 $?
"$bin" scan --no-config --rule pss.restricted.seccomp --kube-version v1.27 ann.yaml > out 2>&1
check "a v1.27 API server does not" 1 $?
"$bin" scan --no-config --rule pss.restricted.seccomp ann.yaml > out 2>&1
check "the default API server is the latest" 1 $?
"$bin" scan --no-config --rule pss.restricted.run-as-user --kube-version v1.22 root.yaml > out 2>&1
check "--pss-version follows --kube-version (runAsUser from v1.23)" 0 $?
"$bin" scan --no-config --rule pss.restricted.run-as-user --kube-version v1.22 \
    --pss-version v1.23 root.yaml > out 2>&1
check "an explicit --pss-version wins over --kube-version" 1 $?
"$bin" scan --no-config --kube-version 1.26 root.yaml > out 2>&1
check "a bad --kube-version is a usage error" 2 $?
contains "the bad API server version is named" out "'1.26'"

# At restricted from v1.25 a Windows pod's Unconfined profile passes Pod
# Security (the restricted check replaces the baseline one and skips
# Windows pods); validation rejects it, and a manifest finding says so.
cat > win.yaml <<'Y'
apiVersion: v1
kind: Pod
metadata: {name: win, namespace: shop}
spec:
  os: {name: windows}
  containers:
  - name: app
    image: registry.example/web:1.4
    securityContext:
      seccompProfile: {type: Unconfined}
Y
"$bin" scan --no-config -o json --pss-version v1.25 win.yaml > win.json 2>&1
lacks "restricted v1.25: no restricted seccomp finding for the Windows pod" win.json \
    '"ruleId": "pss.restricted.seccomp"'
lacks "restricted v1.25: the replaced baseline seccomp check does not run" win.json \
    '"ruleId": "pss.baseline.seccomp"'
contains "restricted v1.25: the validation finding" win.json \
    '"ruleId": "manifest.invalid-pod-os-fields"'
"$bin" scan --no-config -o json --pss-level baseline --pss-version v1.25 win.yaml > win.json 2>&1
contains "baseline v1.25: the baseline seccomp check runs" win.json \
    '"ruleId": "pss.baseline.seccomp"'
"$bin" scan --no-config -o json --pss-version v1.24 win.yaml > win.json 2>&1
contains "restricted v1.24: the restricted check reports it" win.json \
    '"ruleId": "pss.restricted.seccomp"'
lacks "restricted v1.24: the replaced baseline check does not run" win.json \
    '"ruleId": "pss.baseline.seccomp"'

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }

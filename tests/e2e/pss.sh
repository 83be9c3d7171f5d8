#!/usr/bin/env bash
# pss.sh -- the Pod Security options driven as a user would: --pss-level
# baseline drops the restricted findings, --pss-version changes versioned
# results, the config file's pss: section does the same, and bad values are
# usage errors.
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

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }

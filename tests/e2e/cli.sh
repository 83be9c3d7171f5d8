#!/usr/bin/env bash
# cli.sh -- the kubeharden binary driven as a user would: exit codes, stdin,
# unreadable and malformed input, formats, --fail-on, --help, config.
set -u
. "$(dirname "$0")/lib/check.bash"

cat > clean.yaml <<'Y'
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: b}
Y
cat > pod.yaml <<'Y'
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: app
    image: nginx:1.27
    securityContext: {privileged: yes}
    resources: {limits: {cpu: 1, memory: 1Gi}, requests: {cpu: 1, memory: 1Gi}}
Y
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indent\n' > broken.yaml

"$bin" scan clean.yaml > out 2>&1;            check "clean input exits 0" 0 $?
contains "summary says no findings" out "no findings"
"$bin" scan pod.yaml > out 2>&1;              check "findings exit 1" 1 $?
contains "text names the rule" out "pss.baseline.privileged"
contains "text gives the field path" out "spec.containers[0].securityContext.privileged"
contains "text message reads like the API server" out 'privileged (container "app" must not set securityContext.privileged=true)'
"$bin" scan --fail-on critical pod.yaml >/dev/null 2>&1; check "--fail-on critical with a critical finding" 1 $?
"$bin" scan --rule image.tag-not-pinned --fail-on low pod.yaml >/dev/null 2>&1; check "--rule limits the rules" 0 $?
"$bin" scan --area image --area workload pod.yaml > out 2>&1; check "--area runs the areas named" 1 $?
contains "--area image keeps image rules" out "image.digest-not-pinned"
contains "--area workload keeps workload rules" out "workload."
lacks "--area leaves the other areas out" out "pss.baseline.privileged"
"$bin" scan --area nosuch pod.yaml > out 2>&1; check "unknown --area is a usage error" 2 $?
contains "unknown area is named" out "unknown area 'nosuch'"
"$bin" scan - < pod.yaml > out 2>&1;          check "stdin" 1 $?
contains "stdin is labelled" out "<stdin>"
"$bin" scan broken.yaml pod.yaml > out 2>&1;  check "malformed input exits 2" 2 $?
contains "error has file:line:col" out "broken.yaml:5:"
contains "other files still scanned" out "pss.baseline.privileged"
"$bin" scan missing.yaml clean.yaml > out 2>&1; check "missing file exits 2" 2 $?
contains "missing file is named" out "missing.yaml"
"$bin" scan > out 2>&1;                       check "no input is a usage error" 2 $?
"$bin" scan --bogus x > out 2>&1;             check "unknown option" 2 $?
contains "unknown option is named" out "unknown option '--bogus'"
"$bin" scan -o yaml pod.yaml > out 2>&1;      check "unknown format" 2 $?
"$bin" scan --fail-on severe pod.yaml > out 2>&1; check "unknown severity" 2 $?
"$bin" scan --threads 3 pod.yaml > out 2>&1; check "--threads takes 1 or 2" 2 $?
contains "bad --threads is named" out "--threads must be 1 or 2, not '3'"
"$bin" scan --threads 1 pod.yaml > /dev/null 2>&1; check "--threads 1 scans" 1 $?
"$bin" scan --help > out 2>&1;                check "scan --help" 0 $?
contains "help has an example" out "Examples:"
contains "help documents exit codes" out "Exit status:"
"$bin" rules --help > /dev/null 2>&1;         check "rules --help" 0 $?
"$bin" --version > out 2>&1;                  check "--version" 0 $?
"$bin" nosuch > /dev/null 2>&1;               check "unknown command" 2 $?
"$bin" rules -o json > out 2>&1;              check "rules -o json" 0 $?
python3 -c 'import json,sys; r=json.load(open("out")); assert len(r) > 0 and all("id" in x for x in r)' \
    && echo "ok: rules json parses" || { echo "FAIL: rules json"; fails=$((fails + 1)); }
for fmt in json sarif junit; do
    "$bin" scan -o $fmt pod.yaml broken.yaml > out.$fmt 2>&1; check "-o $fmt exit code" 2 $?
done
python3 -c 'import json; json.load(open("out.json")); json.load(open("out.sarif"))' \
    && echo "ok: json and sarif parse" || { echo "FAIL: json/sarif do not parse"; fails=$((fails + 1)); }
python3 -c 'import xml.dom.minidom as m; m.parse("out.junit")' \
    && echo "ok: junit parses" || { echo "FAIL: junit does not parse"; fails=$((fails + 1)); }

# Configuration: found by walking up, or --config; a bad one is an error.
mkdir -p proj/sub
printf 'rules:\n  disable: [pss.baseline.privileged]\n' > proj/.kubeharden.yaml
cp pod.yaml proj/sub/
(cd proj/sub && "$bin" scan --fail-on critical pod.yaml > ../../out 2>&1);  check "discovered config disables a rule" 0 $?
(cd proj/sub && "$bin" scan --fail-on critical --no-config pod.yaml > /dev/null 2>&1); check "--no-config" 1 $?
printf 'rules:\n  disable: [no.such]\n' > bad.yaml
"$bin" scan --config bad.yaml pod.yaml > out 2>&1; check "bad config exits 2" 2 $?
contains "bad config error has a position" out "bad.yaml:2:13: error: unknown rule 'no.such'"

# Image evidence: vulnerability reports and signatures.
fx="$src/tests/fixtures/supply-chain"
cat > vuln.yaml <<'Y'
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - {name: app, image: "registry.example/shop/app:1.4.2"}
Y
"$bin" scan --rule image.vulnerable vuln.yaml > out 2>&1;  check "no report: image.vulnerable is silent" 0 $?
"$bin" scan --rule image.vulnerable --vuln-report "$fx/trivy-shop-app.json" --vuln-report "$fx/grype-nginx.json" \
    vuln.yaml > out 2>&1;                     check "--vuln-report finds vulnerabilities" 1 $?
contains "the CVE ids are named" out "CVE-2024-6387 (critical), CVE-2023-4911 (high), GHSA-grv7-fg5c-xmjg (high)"
"$bin" scan --rule image.vulnerable --fail-on critical --vuln-report "$fx/trivy-shop-app.json" vuln.yaml \
    > /dev/null 2>&1;                         check "the finding takes its worst CVE's severity" 1 $?
printf '{"ArtifactName": "x",\n "Results": 3}\n' > bad-report.json
"$bin" scan --vuln-report bad-report.json vuln.yaml > out 2>&1; check "bad report exits 2" 2 $?
contains "bad report error has a position" out "bad-report.json:2:13: error: 'Results' must be a list"
"$bin" scan --signatures missing.json vuln.yaml > out 2>&1; check "missing signature file exits 2" 2 $?
contains "missing signature file is named" out "missing.json: error: cannot open signature file"
printf 'images:\n  trustedSigners: [{key: release-2024}]\n' > signers.yaml
"$bin" scan --config signers.yaml --rule image.signature-missing --signatures "$fx/cosign-key-web.json" - \
    > out 2>&1 <<'Y'
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - {name: web, image: "registry.example/shop/web@sha256:de7054699c48e2d03d03020348f220acd9669eb0f16a9f217705d33b7252ef46"}
Y
check "--signatures: a signed digest passes" 0 $?

# Files kubeharden reads whole are bounded: /dev/zero is refused, not read forever.
"$bin" scan --config /dev/zero clean.yaml > out 2>&1; check "--config /dev/zero exits 2" 2 $?
contains "--config /dev/zero: the limit is named" out "config '/dev/zero' is larger than 64 MiB"
"$bin" scan --vuln-report /dev/zero clean.yaml > out 2>&1; check "--vuln-report /dev/zero exits 2" 2 $?
contains "--vuln-report /dev/zero: the limit is named" out "vulnerability report '/dev/zero' is larger than 64 MiB"
"$bin" scan --signatures /dev/zero clean.yaml > out 2>&1; check "--signatures /dev/zero exits 2" 2 $?
contains "--signatures /dev/zero: the limit is named" out "signature file '/dev/zero' is larger than 64 MiB"
mkdir -p zero && printf 'images:\n  signatures: [/dev/zero]\n' > zero/.kubeharden.yaml
(cd zero && "$bin" scan ../clean.yaml > ../out 2>&1); check "a repository's config naming /dev/zero exits 2" 2 $?
contains "a config's evidence must be a regular file" out ".kubeharden.yaml:2:16: error: '/dev/zero' is not a regular file"

# What a directory walk finds is read only when it is a regular file: a FIFO
# or a device named *.yaml would hang the scan. Named as an argument, a FIFO
# is a stream like stdin.
mkdir -p special && cp pod.yaml special/a.yaml && mkfifo special/fifo.yaml && ln -s /dev/zero special/zero.yaml
timeout 20 "$bin" scan special > out 2>&1;    check "a FIFO in a walked directory: skipped, exit 2" 2 $?
contains "the FIFO is named" out "special/fifo.yaml: error: not scanned: a FIFO, not a regular file"
contains "a symlink to a device is named" out "special/zero.yaml: error: not scanned: a character device"
contains "the regular file beside them is scanned" out "pss.baseline.privileged"
mkfifo named.yaml
timeout 20 sh -c 'cat pod.yaml > named.yaml' &
timeout 20 "$bin" scan named.yaml > out 2>&1; check "a FIFO named as an argument is read as a stream" 1 $?
contains "the streamed FIFO's findings" out "pss.baseline.privileged"
wait

# Trees too deep, paths too long: said, and exit 2 (never a silent 0).
mkdir deep && (cd deep && for i in $(seq 300); do mkdir d && cd d || exit 1; done && cp "$tmp/pod.yaml" .)
"$bin" scan deep > out 2>&1;                  check "a tree deeper than 256 levels exits 2" 2 $?
contains "the depth is named" out "error: not scanned: the directory is nested more than 256 levels deep"
grep -o '^  deep[/d]*: error' out | grep -o '/d' | wc -l | grep -qx 257 \
    && echo "ok: the error names the 257th level" || { echo "FAIL: depth error path"; fails=$((fails + 1)); }
long=$(printf 'n%.0s' $(seq 250))
mkdir longpath && (cd longpath && for i in $(seq 18); do mkdir $long && cd $long || exit 1; done && cp "$tmp/pod.yaml" .)
"$bin" scan longpath > out 2>&1;              check "a path over PATH_MAX exits 2" 2 $?
contains "PATH_MAX is named" out "error: not scanned: the path is longer than PATH_MAX (4096 bytes)"

# Output that cannot be written is an error for every command, not exit 0.
for cmd in "version" "--version" "--help" "rules" "rules -o json" "rules --doc" "scan --help" \
           "rules --help" "version --help" "scan pod.yaml"; do
    "$bin" $cmd > /dev/full 2> out;           check "$cmd > /dev/full exits 2" 2 $?
    contains "$cmd > /dev/full says so" out "cannot write"
done
"$bin" version >&- 2> out;                    check "version with stdout closed exits 2" 2 $?
contains "closed stdout says so" out "kubeharden version: cannot write to standard output: Bad file descriptor"
"$bin" scan - <&- > out 2>&1;                 check "closed stdin exits 2" 2 $?
contains "closed stdin says why" out "<stdin>: error: cannot read standard input: it is closed"
"$bin" scan - < . > out 2>&1;                 check "a directory as stdin exits 2" 2 $?
contains "a directory as stdin says why" out "cannot read standard input: it is a directory"

# Determinism: the same input gives the same bytes.
"$bin" scan -o json "$src/tests/cases" > a.json 2>/dev/null
"$bin" scan -o json "$src/tests/cases" > b.json 2>/dev/null
cmp -s a.json b.json && echo "ok: output is deterministic" || { echo "FAIL: output differs between runs"; fails=$((fails + 1)); }

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }

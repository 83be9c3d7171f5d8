#!/usr/bin/env bash
# serve.sh -- the admission webhook answered over TLS with curl: real
# AdmissionReview documents (v1 and v1beta1) allowed, denied, warned and
# audited by route; bad routes, methods and content types; bad bodies
# (truncated, not JSON, deeply nested, too big, not a review) get 400 or 413
# and the server stays up; health and readiness; one JSON log line per
# decision with the uid and no manifest content; a clean exit on SIGTERM.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/check.bash"
. "$here/lib/serve.bash"
gen_certs || { echo "FAIL: openssl could not make certificates"; exit 1; }
start_server log --tls-cert-file server.crt --tls-private-key-file server.key \
    --max-body-bytes 65536 || exit 1

code=$(curl -sS --cacert ca.crt -o resp -w '%{http_code}' "$url/healthz")
check "healthz answers 200" 200 "$code"
code=$(curl -sS --cacert ca.crt -o resp -w '%{http_code}' "$url/readyz")
check "readyz answers 200 once serving" 200 "$code"

review good.json admission.k8s.io/v1 uid-good CREATE "$good_pod"
check "a restricted pod: 200" 200 "$(post /validate/restricted good.json)"
contains "allowed, same uid" resp '"uid":"uid-good","allowed":true'
contains "same apiVersion" resp '"apiVersion":"admission.k8s.io/v1"'

review bad.json admission.k8s.io/v1 uid-bad CREATE "$bad_pod"
check "a privileged pod: 200" 200 "$(post /validate/baseline bad.json)"
contains "denied" resp '"allowed":false'
contains "denial in the API server's PodSecurity wording" resp 'violates PodSecurity \"baseline:latest\": privileged (container \"app\" must not set securityContext.privileged=true)'
contains "denial code 403" resp '"code":403'

check "v1beta1 is answered" 200 "$(review b1.json admission.k8s.io/v1beta1 uid-b1 CREATE "$bad_pod"; post /validate/baseline b1.json)"
contains "v1beta1 keeps its apiVersion" resp '"apiVersion":"admission.k8s.io/v1beta1"'
contains "v1beta1 keeps its uid" resp '"uid":"uid-b1"'

check "warn mode: 200" 200 "$(post '/validate/baseline?mode=warn' bad.json)"
contains "warn mode allows" resp '"allowed":true'
contains "warn mode warns" resp '"warnings":['
check "audit mode: 200" 200 "$(post '/validate/baseline?mode=audit&version=v1.30' bad.json)"
contains "audit mode allows" resp '"allowed":true'
contains "audit mode annotates" resp '"auditAnnotations":'
lacks "audit mode does not warn" resp '"warnings":['
check "version and mode as path segments (no query in a webhook path)" 200 "$(post /validate/baseline/v1.30/warn bad.json)"
contains "path-segment warn mode allows" resp '"allowed":true'
check "privileged level allows a privileged pod" 200 "$(post /validate/privileged bad.json)"
contains "privileged: allowed" resp '"allowed":true'

review dry.json admission.k8s.io/v1 uid-dry CREATE "$bad_pod" '"dryRun":true'
check "dryRun is judged too" 200 "$(post /validate/baseline dry.json)"
contains "dryRun: denied like any other" resp '"allowed":false'

# Routes, methods, content types.
check "unknown path: 404" 404 "$(post /mutate good.json)"
check "unknown level: 400" 400 "$(post /validate/strict good.json)"
contains "the bad level is named" resp "'strict'"
check "unknown mode: 400" 400 "$(post '/validate/baseline?mode=block' good.json)"
check "bad version: 400" 400 "$(post '/validate/baseline?version=1.30' good.json)"
code=$(curl -sS --cacert ca.crt -o resp -w '%{http_code}' "$url/validate/baseline")
check "GET on a review route: 405" 405 "$code"
code=$(curl -sS --cacert ca.crt -o resp -w '%{http_code}' -X POST "$url/healthz")
check "POST on healthz: 405" 405 "$code"
code=$(curl -sS --cacert ca.crt -H 'Content-Type: text/yaml' --data-binary @good.json \
    -o resp -w '%{http_code}' "$url/validate/baseline")
check "wrong content type: 415" 415 "$code"
code=$(curl -sS --cacert ca.crt -H 'Content-Type: application/json; charset=utf-8' \
    --data-binary @good.json -o resp -w '%{http_code}' "$url/validate/baseline")
check "content type with parameters: 200" 200 "$code"

# Bad bodies: 400 with a reason, or 413; the server stays up.
head -c 150 good.json > truncated.json
check "truncated body: 400" 400 "$(post /validate/restricted truncated.json)"
contains "400 is a Status with a reason" resp '"reason":"BadRequest"'
printf 'this is not json' > text.json
check "not JSON: 400" 400 "$(post /validate/restricted text.json)"
python3 -c 'print("[" * 20000 + "]" * 20000)' > deep.json
check "20000 levels of nesting: 400" 400 "$(post /validate/restricted deep.json)"
python3 -c 'print("{\"a\":" * 5000 + "1" + "}" * 5000)' > deepobj.json
check "5000 nested objects: 400" 400 "$(post /validate/restricted deepobj.json)"
printf '{"apiVersion":"v1","kind":"Pod"}' > notreview.json
check "a Pod instead of a review: 400" 400 "$(post /validate/restricted notreview.json)"
: > empty.json
check "empty body: 400" 400 "$(post /validate/restricted empty.json)"
head -c 70000 /dev/zero | tr '\0' ' ' > huge.json
# With Content-Length the 413 comes before the body is read and the
# connection closes; a client still sending may see a reset instead of the
# answer, so these two wait for it (Expect: 100-continue).
check "over --max-body-bytes: 413" 413 "$(post /validate/restricted huge.json -H 'Expect: 100-continue')"
check "over --max-body-bytes, chunked: 413" 413 \
    "$(post /validate/restricted huge.json -H 'Transfer-Encoding: chunked')"
head -c 100000 /dev/urandom > random.json
check "random bytes over the limit: 413" 413 "$(post /validate/restricted random.json -H 'Expect: 100-continue')"
head -c 60000 /dev/urandom > random2.json
check "random bytes under the limit: 400" 400 "$(post /validate/restricted random2.json)"
code=$(curl -sS --cacert ca.crt -o resp -w '%{http_code}' "$url/healthz")
check "still up after hostile bodies" 200 "$code"
check "and still judging" 200 "$(post /validate/restricted good.json)"

# Logs: JSON, one line per decision, uid and counts, no manifest content.
python3 -c '
import json, sys
lines = [json.loads(l) for l in open("log")]
reviews = [l for l in lines if l["msg"] == "review"]
assert any(l["uid"] == "uid-bad" and l["decision"] == "denied" and l["violations"] >= 1
           and "duration_ms" in l and l["route"]["level"] == "baseline" for l in reviews), reviews
assert any(l["uid"] == "uid-good" and l["decision"] == "allowed" for l in reviews), reviews
' 2>err.txt
check "every log line is JSON; decisions carry uid, route, decision, violations, duration" 0 $?
[ -s err.txt ] && cat err.txt
lacks "logs carry no manifest content" log 'registry.example'
lacks "logs carry no user names" log 'alice'

stop_server
check "SIGTERM: exit 0" 0 "$stop_status"
contains "logs the drain" log '"msg":"stopped","unfinished":0'
[ $fails -eq 0 ]

#!/usr/bin/env bash
# probe.sh -- `kubeharden probe` against HTTPS and HTTP servers of the
# test's own on loopback that answer as a kubelet and an API server do
# (the paths, statuses and bodies of pkg/kubelet/server/server.go and of an
# API server under default and under careless RBAC), with anonymous access
# on and off: each port gets exactly the findings it should, with its
# evidence. Also: TLS 1.0/1.1 and certificates (kubelet-style self-signed,
# expired), closed ports, a silent server bounded by --timeout, a redirect
# that is not followed, only GETs sent, exit codes and bad arguments.
# Servers are stopped by the test; every wait is bounded. Skips (77)
# without python3 or openssl.
set -u
. "$(dirname "$0")/lib/check.bash"
command -v python3 > /dev/null && command -v openssl > /dev/null ||
    { echo "skip: python3 or openssl not installed"; exit 77; }

pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done; for p in "${pids[@]}"; do timeout 5 tail --pid="$p" -f /dev/null; done; }
trap 'stop_all; rm -rf "$tmp"' EXIT

cat > server.py <<'PY'
# A kubelet / API server stand-in. Usage: server.py MODE PORTFILE [CERT KEY [MIN_TLS]]
# kubelet-open     anonymous on, authorization AlwaysAllow (the kubelet's flag defaults)
# kubelet-closed   anonymous off: 401 on every path, /healthz included
# kubelet-nodebug  anonymous on, debugging handlers off: 405 "Debug endpoints are disabled."
# readonly         the read-only port: /pods, /metrics, /healthz; no exec handler
# api-open         an API server whose RBAC lets anonymous users list namespaces
# api-default      default RBAC: /version and /healthz public, the rest 403
# redirect         302 to the URL in $TARGET for everything
# silent           accepts and never answers
import http.server, json, os, socket, ssl, sys, time
mode, portfile = sys.argv[1], sys.argv[2]
PODS = json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": []})
METRICS = "# HELP up up\n# TYPE up gauge\nup 1\n"
PPROF = "<html><body>/debug/pprof/<br><p>Types of profiles available:</p></body></html>"
VERSION = json.dumps({"major": "1", "minor": "30", "gitVersion": "v1.30.2"})
def status(code, msg):
    return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": msg, "code": code})
def answer(path):
    p = path.split("?")[0]
    if mode == "kubelet-closed":
        return 401, "Unauthorized"
    if mode in ("kubelet-open", "kubelet-nodebug", "readonly"):
        if p == "/pods" or (p == "/runningpods/" and mode != "readonly"):
            return 200, PODS
        if p == "/healthz":
            return 200, "ok"
        if p == "/metrics":
            return 200, METRICS
        if mode == "kubelet-open" and p.startswith("/exec/"):
            return 400, "you must specify at least 1 of stdin, stdout, stderr"
        if mode == "kubelet-open" and p.startswith("/debug/pprof/"):
            return 200, PPROF
        if mode == "kubelet-nodebug" and (p.startswith("/exec/") or p.startswith("/debug/pprof/")):
            return 405, "Debug endpoints are disabled."
        return 404, "404 page not found"
    if mode == "api-open":
        body = {"/version": VERSION, "/healthz": "ok",
                "/api": json.dumps({"kind": "APIVersions", "versions": ["v1"]}),
                "/apis": json.dumps({"kind": "APIGroupList", "groups": []}),
                "/api/v1/namespaces": json.dumps({"kind": "NamespaceList", "items": [{"metadata": {"name": "default"}}]})}.get(p)
        return (200, body) if body else (404, status(404, "the server could not find the requested resource"))
    if mode == "api-default":
        if p == "/version":
            return 200, VERSION
        if p == "/healthz":
            return 200, "ok"
        return 403, status(403, 'forbidden: User "system:anonymous" cannot get path "%s"' % p)
    return 500, "bad mode"
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def handle_one_request(self):
        if mode == "silent":
            time.sleep(30)
            return
        return super().handle_one_request()
    def reply(self):
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", os.environ["TARGET"] + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        code, body = answer(self.path)
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.reply()
    def do_POST(self):
        self.reply()
    def log_message(self, *a):
        sys.stderr.write("%s %s\n" % (self.command, self.path))
        sys.stderr.flush()
class S(http.server.ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True
if os.environ.get("BIND6"):
    S.address_family = socket.AF_INET6
srv = S(("::1" if os.environ.get("BIND6") else "127.0.0.1", 0), H)
if len(sys.argv) > 3:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    if len(sys.argv) > 5 and sys.argv[5] == "1.0":
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(portfile + ".tmp", "w").write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
PY

# Certificates: a cluster CA and a server certificate it signs; a kubelet's
# self-generated pair (client-go: CA "HOST-ca@UNIX", certificate "HOST@UNIX");
# an expired certificate (made by Python's cryptography when present).
key() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" -keyout "$2.key" -out "$2.csr" 2> /dev/null; }
sign() { # NAME CA-NAME EXT
    printf '%s\n' "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.crt" 2> /dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=kubernetes \
    -keyout ca.key -out ca.crt 2> /dev/null
key kube-apiserver api && sign api ca "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=node-1-ca@1700000000" \
    -keyout kca.key -out kca.crt 2> /dev/null
key node-1@1700000000 kubelet && sign kubelet kca "subjectAltName=DNS:node-1,IP:127.0.0.1"
cat kubelet.crt kca.crt > kubelet-chain.crt
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=node-2 \
    -addext "subjectAltName=DNS:node-2" -keyout self.key -out self.crt 2> /dev/null
expired=0
if python3 - <<'PY' 2> /dev/null; then expired=1; fi
import datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
ca_key = serialization.load_pem_private_key(open("ca.key", "rb").read(), None)
ca = x509.load_pem_x509_certificate(open("ca.crt", "rb").read())
k = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old-apiserver")])
c = (x509.CertificateBuilder().subject_name(name).issuer_name(ca.subject).public_key(k.public_key())
     .serial_number(x509.random_serial_number())
     .not_valid_before(datetime.datetime(2020, 1, 1)).not_valid_after(datetime.datetime(2021, 1, 1))
     .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
     .sign(ca_key, hashes.SHA256()))
open("expired.crt", "wb").write(c.public_bytes(serialization.Encoding.PEM))
open("expired.key", "wb").write(k.private_bytes(serialization.Encoding.PEM,
     serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
PY
[ $expired -eq 1 ] || { echo "note: no python3 cryptography, the API server's certificate is not expired"; cp api.crt expired.crt; cp api.key expired.key; }

# start NAME MODE [CERT KEY [MIN_TLS]]: port in $NAME.port, requests in $NAME.log
start() {
    local name=$1; shift
    python3 server.py "$1" "$name.port" "${@:2}" 2> "$name.log" &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$name.port" ] && return 0; sleep 0.1; done
    echo "FAIL: server $name did not start"; cat "$name.log"; exit 1
}
start kopen kubelet-open kubelet-chain.crt kubelet.key 1.0
start kclosed kubelet-closed api.crt api.key
start knodebug kubelet-nodebug self.crt self.key
start ro readonly
start apiopen api-open expired.crt expired.key
start apidef api-default api.crt api.key
start sink readonly
TARGET="http://127.0.0.2:$(cat sink.port)" start redir redirect
start silent silent
port() { cat "$1.port"; }

# --- the findings of each port, exactly
names=(kopen kclosed knodebug ro apiopen apidef)
args=(); for n in "${names[@]}"; do args+=("127.0.0.1:$(port "$n")"); done
timeout 60 "$bin" probe -o json "${args[@]}" > all.json
check "probe of six servers exits 1 (findings)" 1 $?
for n in "${names[@]}"; do echo "$n=127.0.0.1:$(port "$n")"; done > targets.txt
python3 - all.json targets.txt "$expired" <<'PY' || fails=$((fails + 1))
import json, sys
doc = json.load(open(sys.argv[1]))
names = dict(l.strip().split("=") for l in open(sys.argv[2]))
expired = sys.argv[3] == "1"
got = {}
for f in doc["findings"]:
    got.setdefault(f["file"], {})[f["ruleId"]] = f
want = {
    # anonymous + AlwaysAllow: pods, exec, pprof, metrics; TLS 1.0 on; kubelet-made certificate
    "kopen": {"probe.open-port", "probe.tls-old-version", "probe.cert-self-signed",
              "probe.anonymous-kubelet", "probe.kubelet-exec", "probe.debug-endpoint",
              "probe.anonymous-metrics"},
    # anonymous off: only the port itself
    "kclosed": {"probe.open-port"},
    # debugging handlers off (405): no exec, no pprof; pods and metrics still open
    # (and a self-signed certificate)
    "knodebug": {"probe.open-port", "probe.anonymous-kubelet", "probe.anonymous-metrics",
                 "probe.cert-self-signed"},
    # the read-only port: plain HTTP, pods, metrics; no exec handler (404)
    "ro": {"probe.open-port", "probe.plain-http", "probe.kubelet-readonly-port", "probe.anonymous-metrics"},
    "apiopen": {"probe.open-port", "probe.anonymous-api", "probe.anonymous-discovery",
                "probe.version-exposed"} | ({"probe.cert-expired"} if expired else set()),
    # default RBAC: /version is public by design, discovery and namespaces are 403
    "apidef": {"probe.open-port", "probe.version-exposed"},
}
fails = 0
for n, ids in want.items():
    have = set(got.get(names[n], {}))
    ok = have == ids
    fails += not ok
    print(("ok" if ok else "FAIL") + ": %s (%s): %s" % (n, names[n], sorted(have) if ok else
          "missing %s, unexpected %s" % (sorted(ids - have), sorted(have - ids))))
def ev(n, rule, needle):
    global fails
    m = got.get(names[n], {}).get(rule, {}).get("message", "")
    ok = needle in m
    fails += not ok
    print(("ok" if ok else "FAIL") + ": %s %s evidence has %r%s" % (n, rule, needle, "" if ok else ": " + m))
ev("kopen", "probe.kubelet-exec", "400 Bad Request (you must specify at least 1 of stdin, stdout, stderr)")
ev("kopen", "probe.anonymous-kubelet", "GET /pods: HTTP/1.1 200 OK (a PodList)")
ev("kopen", "probe.tls-old-version", "TLS 1.0 and TLS 1.1 handshake completed")
ev("kopen", "probe.cert-self-signed", "issued by 'CN=node-1-ca@1700000000' (the throw-away CA")
ev("kopen", "probe.open-port", "SANs DNS:node-1,IP:127.0.0.1")
ev("kclosed", "probe.open-port", "TLS (accepts 1.2, 1.3)")
ev("kclosed", "probe.open-port", "/pods 401")
ev("kclosed", "probe.open-port", "issuer 'CN=kubernetes'")
ev("knodebug", "probe.cert-self-signed", "certificate subject 'CN=node-2' issued by 'CN=node-2' (itself)")
ev("knodebug", "probe.open-port", "/exec/kube-system/kubeharden-probe/probe?command=true 405")
ev("ro", "probe.plain-http", "no TLS: GET /version: HTTP/1.1 404")
ev("apiopen", "probe.anonymous-api", "GET /api/v1/namespaces?limit=1: HTTP/1.1 200 OK (a NamespaceList)")
ev("apiopen", "probe.version-exposed", "gitVersion v1.30.2")
if expired:
    ev("apiopen", "probe.cert-expired", "valid from 2020-01-01T00:00:00Z to 2021-01-01T00:00:00Z")
ev("apidef", "probe.open-port", "/api/v1/namespaces?limit=1 403")
sev = {f["ruleId"]: f["severity"] for f in doc["findings"]}
for rule, s in (("probe.kubelet-exec", "critical"), ("probe.anonymous-api", "critical"),
                ("probe.kubelet-readonly-port", "high"), ("probe.open-port", "info")):
    ok = sev.get(rule) == s
    fails += not ok
    print(("ok" if ok else "FAIL") + ": %s is %s" % (rule, s))
sys.exit(1 if fails else 0)
PY

# --- read-only: the stand-ins saw only GET requests (etcd's POST goes to etcd only)
cat kopen.log kclosed.log knodebug.log ro.log apiopen.log apidef.log > requests.log
lacks "only GET requests were sent to the kubelet and API server stand-ins" requests.log "POST "
contains "the kubelet stand-in was asked for the exec handler with a GET" kopen.log \
    "GET /exec/kube-system/kubeharden-probe/probe?command=true"

# --- text report, --fail-on, formats
"$bin" probe --no-color "127.0.0.1:$(port kclosed)" > closed.txt
check "a closed-down kubelet: only info, exit 0" 0 $?
contains "text report ends with ports tried and open" closed.txt "1 ports tried, 1 open"
"$bin" probe --fail-on critical "127.0.0.1:$(port ro)" > /dev/null
check "--fail-on critical: the read-only port's high findings pass" 0 $?
"$bin" probe --fail-on info "127.0.0.1:$(port kclosed)" > /dev/null
check "--fail-on info: the open port fails" 1 $?
for fmt in sarif junit; do
    "$bin" probe -o $fmt "127.0.0.1:$(port apiopen)" > out.$fmt
    check "-o $fmt exits 1" 1 $?
    contains "-o $fmt names the rule" out.$fmt "probe.anonymous-api"
done

# --- a closed port, a DNS name, --ports
free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" probe "127.0.0.1:$free" > free.txt
check "a closed port: no findings, exit 0" 0 $?
contains "a closed port is tried, not open" free.txt "1 ports tried, 0 open"
"$bin" probe -o json --ports "$(port ro),$free" localhost > dns.json
check "--ports on a name: exit 1" 1 $?
contains "the name is resolved and the open port probed" dns.json "probe.kubelet-readonly-port"

# --- IPv6: [::1]:PORT, when this machine has IPv6 loopback
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2> /dev/null; then
    BIND6=1 start ro6 readonly
    "$bin" probe "[::1]:$(port ro6)" > v6.txt
    check "IPv6: exit 1" 1 $?
    contains "IPv6: the target is [::1]:PORT" v6.txt "[::1]:$(port ro6)"
    contains "IPv6: the read-only port is found" v6.txt "probe.kubelet-readonly-port"
else
    echo "note: no IPv6 loopback, [::1] not tested"
fi

# --- bounded: a server that never answers costs about the timeout, twice
# (the plain request, then the TLS hello), not more
start0=$(date +%s%N)
"$bin" probe --timeout 0.3 "127.0.0.1:$(port silent)" > silent.txt
ms=$(( ($(date +%s%N) - start0) / 1000000 ))
check "a silent server: exit 0 (open, nothing known)" 0 $?
[ "$ms" -lt 2000 ] && echo "ok: a silent server with --timeout 0.3 took $ms ms" ||
    { echo "FAIL: a silent server with --timeout 0.3 took $ms ms"; fails=$((fails + 1)); }
contains "a silent server: neither HTTP nor TLS" silent.txt "neither HTTP nor TLS"

# --- a redirect to another address is a status, never followed
"$bin" probe "127.0.0.1:$(port redir)" > redir.txt
contains "the redirect is seen" redir.txt "/version 302"
[ ! -s sink.log ] && echo "ok: the redirect target got no request" ||
    { echo "FAIL: the redirect was followed:"; cat sink.log; fails=$((fails + 1)); }

# --- usage errors
"$bin" probe > /dev/null 2> err.txt
check "no target: exit 2" 2 $?
for bad in "host:0" "host:70000" "[::1" "host:" ":80"; do
    "$bin" probe "$bad" > /dev/null 2> err.txt
    check "bad target '$bad': exit 2" 2 $?
done
contains "a bad target is named" err.txt "':80'"
for bad in "--ports=0" "--ports=10-5" "--ports=1,,2" "--ports=80," "--timeout=0" "--timeout=x" "--concurrency=0"; do
    "$bin" probe "$bad" 127.0.0.1 > /dev/null 2> err.txt
    check "bad option $bad: exit 2" 2 $?
done
"$bin" probe no-such-host.invalid > /dev/null 2> err.txt
check "a name that does not resolve: exit 2" 2 $?
contains "the name is in the message" err.txt "'no-such-host.invalid'"
"$bin" probe --help > help.txt
check "--help exits 0" 0 $?
contains "--help says it is read-only" help.txt "Read-only"

[ $fails -eq 0 ]

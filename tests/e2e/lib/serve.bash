# serve.bash -- shared by the serve*.sh end-to-end scripts (after check.bash):
# certificates made with openssl in the test's directory, a free port, the
# server started in the background and stopped (or killed) on exit, and
# AdmissionReview documents to send it with curl over TLS.
command -v openssl >/dev/null && command -v curl >/dev/null || { echo "skip: openssl or curl missing"; exit 77; }

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

# A CA, a server certificate for 127.0.0.1 and localhost, and a client
# certificate (clientAuth) as the API server would present.
gen_certs() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=kubeharden-test-ca -keyout ca.key -out ca.crt 2>/dev/null || return 1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
    printf 'extendedKeyUsage=clientAuth\n' > client.ext
    new_cert server server.ext && new_cert client client.ext
}
new_cert() { # name extfile: NAME.crt and NAME.key signed by the CA
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
        -keyout "$1.key.new" -out "$1.csr" 2>/dev/null &&
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
        -extfile "$2" -out "$1.crt.new" 2>/dev/null &&
    mv "$1.key.new" "$1.key" && mv "$1.crt.new" "$1.crt"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server LOG [OPTIONS...]: serve on a free port; sets $pid, $port, $url.
start_server() {
    local log=$1; shift
    port=$(free_port)
    url=https://127.0.0.1:$port
    "$bin" serve --bind-address 127.0.0.1 --secure-port "$port" "$@" 2> "$log" &
    pid=$!
    pids+=("$pid")
    local i
    for i in $(seq 1 100); do
        curl -s --cacert ca.crt ${client_cert:+--cert client.crt --key client.key} \
            -o /dev/null "$url/healthz" && return 0
        kill -0 "$pid" 2>/dev/null || { echo "FAIL: server exited at start:"; cat "$log"; return 1; }
        sleep 0.1
    done
    echo "FAIL: server not up after 10 s:"; cat "$log"; return 1
}

# stop_server: SIGTERM and wait (at most 15 s); sets $stop_status.
stop_server() {
    kill -TERM "$pid" 2>/dev/null
    local i
    for i in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    stop_status=$?
}

# post PATH FILE [CURL OPTIONS...]: the body to stdout-file "resp", the status echoed.
post() {
    local path=$1 file=$2; shift 2
    curl -sS --cacert ca.crt -H 'Content-Type: application/json' --data-binary "@$file" \
        -o resp -w '%{http_code}' "$@" "$url$path"
}

# review FILE API_VERSION UID OPERATION OBJECT_JSON [EXTRA_REQUEST_MEMBERS]
review() {
    printf '{"apiVersion":"%s","kind":"AdmissionReview","request":{"uid":"%s",' "$2" "$3" > "$1"
    printf '"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},' >> "$1"
    printf '"namespace":"shop","name":"web","operation":"%s","userInfo":{"username":"alice"},' "$4" >> "$1"
    printf '"object":%s%s}}\n' "$5" "${6:+,$6}" >> "$1"
}

# A Pod that passes restricted, and one that fails it.
good_pod='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop"},"spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"app","image":"registry.example/web:1.4","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}'
bad_pod='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop"},"spec":{"containers":[{"name":"app","image":"registry.example/web:1.4","securityContext":{"privileged":true}}]}}'

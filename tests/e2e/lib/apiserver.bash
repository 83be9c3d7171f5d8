# apiserver.bash -- shared by the cluster end-to-end scripts (after
# check.bash): a self-signed CA that is also the test API server's
# certificate for localhost, the server (tests/fixtures/apiserver) started in
# the background and killed on exit, and a kubeconfig that reaches it with a
# bearer token.
command -v python3 >/dev/null && command -v openssl >/dev/null || exit 77
srv=$src/tests/fixtures/apiserver
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY
apiserver_pid=
trap '[ -n "$apiserver_pid" ] && kill "$apiserver_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
    -subj /CN=kubernetes-test-ca -addext subjectAltName=DNS:localhost 2>/dev/null
[ -s ca.crt ] || { echo "FAIL: openssl could not make the certificate"; exit 1; }

apiserver_start() { # options...: start the server; sets $port (its log: server.log)
    rm -f port
    python3 "$srv/apiserver.py" --cert ca.crt --key ca.key --port-file port \
        --log server.log "$@" &
    apiserver_pid=$!
    for _ in $(seq 600); do [ -f port ] && break; sleep 0.05; done
    port=$(cat port)
}

kubeconfig() { # file [cluster fields]: token t; the test CA unless other fields are given
    cat > "$1" <<EOC
apiVersion: v1
kind: Config
current-context: c
clusters: [{name: c, cluster: {server: "https://localhost:$port", ${2:-certificate-authority: $tmp/ca.crt}}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: t}}]
EOC
}

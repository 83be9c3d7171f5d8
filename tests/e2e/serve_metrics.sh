#!/usr/bin/env bash
# serve_metrics.sh -- /metrics in the Prometheus text format: Debian's
# `promtool check metrics` accepts it, the counters follow the reviews sent
# (decision by level and mode, findings by rule, responses by code, the
# latency histogram), the certificate expiry is the certificate's notAfter;
# and a real `prometheus` scraping the server over TLS (ca_file) sees up == 1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/check.bash"
. "$here/lib/serve.bash"
gen_certs || { echo "FAIL: openssl could not make certificates"; exit 1; }
start_server log --tls-cert-file server.crt --tls-private-key-file server.key || exit 1

review good.json admission.k8s.io/v1 uid-1 CREATE "$good_pod"
review bad.json admission.k8s.io/v1 uid-2 CREATE "$bad_pod"
post /validate/restricted good.json > /dev/null
post /validate/baseline bad.json > /dev/null
post '/validate/baseline?mode=warn' bad.json > /dev/null
printf '{' > trunc.json
post /validate/baseline trunc.json > /dev/null

curl -sS --cacert ca.crt -o metrics "$url/metrics"
if command -v promtool > /dev/null; then
    promtool check metrics < metrics > promtool.out 2>&1
    check "promtool check metrics accepts /metrics" 0 $?
    [ -s promtool.out ] && cat promtool.out
else echo "skip: promtool not installed"; fi
contains "allowed by level and mode" metrics 'kubeharden_admission_reviews_total{level="restricted",mode="enforce",decision="allowed"} 1'
contains "denied" metrics 'kubeharden_admission_reviews_total{level="baseline",mode="enforce",decision="denied"} 1'
contains "warned" metrics 'kubeharden_admission_reviews_total{level="baseline",mode="warn",decision="warned"} 1'
contains "findings by rule" metrics 'kubeharden_admission_findings_total{rule="pss.baseline.privileged"} 2'
contains "the histogram counts judged reviews" metrics 'kubeharden_admission_review_duration_seconds_count 3'
contains "errors by code" metrics 'kubeharden_http_responses_total{code="400"} 1'
contains "in-flight gauge" metrics 'kubeharden_http_in_flight_requests 0'
contains "connections gauge" metrics 'kubeharden_http_open_connections '
notafter=$(date -d "$(openssl x509 -in server.crt -noout -enddate | cut -d= -f2)" +%s)
contains "certificate expiry is notAfter" metrics "kubeharden_tls_certificate_expiry_timestamp_seconds $notafter"

if command -v prometheus > /dev/null; then
    pport=$(free_port)
    cat > prometheus.yml <<Y
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
- job_name: kubeharden
  scheme: https
  tls_config: {ca_file: $tmp/ca.crt}
  static_configs: [{targets: ['127.0.0.1:$port']}]
Y
    prometheus --config.file=prometheus.yml --storage.tsdb.path=tsdb \
        --web.listen-address=127.0.0.1:$pport > prometheus.log 2>&1 &
    ppid=$!
    pids+=("$ppid")
    up=""
    for i in $(seq 1 100); do
        up=$(curl -s "http://127.0.0.1:$pport/api/v1/query?query=up" |
             python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null)
        [ "$up" = 1 ] && break
        sleep 0.2
    done
    check "prometheus scrapes the server over TLS: up == 1" 1 "$up"
    n=$(curl -s "http://127.0.0.1:$pport/api/v1/query?query=kubeharden_admission_reviews_total%7Bdecision%3D%22denied%22%2Clevel%3D%22baseline%22%2Cmode%3D%22enforce%22%7D" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null)
    check "prometheus reads the review counters" 1 "$n"
    [ "$up" = 1 ] || tail -20 prometheus.log
    kill -TERM "$ppid"; wait "$ppid" 2>/dev/null
else echo "skip: prometheus not installed"; fi

stop_server
check "exit 0" 0 "$stop_status"
[ $fails -eq 0 ]

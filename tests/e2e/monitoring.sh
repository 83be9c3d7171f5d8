#!/usr/bin/env bash
# monitoring.sh -- deploy/monitoring against the real thing: `promtool check
# rules` and `promtool test rules` (rules_test.yaml) on the alerting rules;
# a real scrape of `kubeharden serve` (TLS) and of `kubeharden watch
# --metrics-listen` (a spooled sink that is down, so every series exists),
# each accepted by `promtool check metrics`; every metric the rules and the
# Grafana dashboard name is one of those scraped; the dashboard is valid
# JSON with schemaVersion, unique panel ids, a query per panel and panels
# inside the 24-column grid. Last, a real prometheus loads the rules and
# scrapes the watcher: every rule evaluates without error and the watcher's
# events are queryable. Skips (77) without promtool (Debian package prometheus).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/check.bash"
. "$here/lib/serve.bash"
command -v promtool > /dev/null || { echo "skip: promtool not installed (Debian package prometheus)"; exit 77; }
mon=$src/deploy/monitoring

promtool check rules "$mon/prometheus-rules.yaml" > rules.out 2>&1
check "promtool check rules" 0 $?
cat rules.out
(cd "$mon" && promtool test rules rules_test.yaml) > test.out 2>&1
check "promtool test rules: each alert fires when it should, with its annotations" 0 $?
grep -q SUCCESS test.out || cat test.out

# serve, scraped after one request so every series has a sample
gen_certs || { echo "FAIL: openssl could not make certificates"; exit 1; }
start_server serve.log --tls-cert-file server.crt --tls-private-key-file server.key || exit 1
curl -s --cacert ca.crt -o /dev/null "$url/healthz"
curl -s --cacert ca.crt -o serve.prom "$url/metrics"
check "serve's /metrics answers" 0 $?
promtool check metrics < serve.prom > lint1 2>&1
check "promtool check metrics accepts serve's" 0 $?
cat lint1
stop_server

# watch --metrics-listen, an exec alert for a spooled HTTP sink nobody listens on
printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a1","stage":"ResponseComplete","verb":"create","user":{"username":"alice"},"objectRef":{"resource":"pods","namespace":"shop","name":"web","subresource":"exec"},"responseStatus":{"code":101},"stageTimestamp":"2026-11-30T10:00:00Z"}\n' > audit.log
dead=$(free_port)
mport=$(free_port)
"$bin" watch --follow --poll-interval 50 --fail-on never --no-config --spool spool \
    --metrics-listen "127.0.0.1:$mport" --sink "http://127.0.0.1:$dead/hook" \
    --sink "file:$tmp/alerts.jsonl" audit.log 2> watch.err &
wpid=$!
pids+=("$wpid")
for _ in $(seq 100); do
    curl -sf -o watch.prom "http://127.0.0.1:$mport/metrics" && grep -q 'alerts_total{' watch.prom &&
        grep -q 'file_behind_bytes 0' watch.prom && break
    sleep 0.1
done
check "watch's /metrics answers while it reads a file" 0 "$(grep -q 'alerts_total{' watch.prom; echo $?)"
promtool check metrics < watch.prom > lint2 2>&1
check "promtool check metrics accepts watch's" 0 $?
cat lint2

# What the rules and the dashboard name must be what the binary exports.
python3 - serve.prom watch.prom "$mon/prometheus-rules.yaml" "$mon/grafana-dashboard.json" > names <<'PY'
import json, re, sys, yaml
exported = set()
for f in sys.argv[1:3]:
    for line in open(f):
        if line.strip() and not line.startswith("#"):
            exported.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
def named(expr):
    return set(re.findall(r"\bkubeharden_[a-z0-9_]+", expr))
rules = yaml.safe_load(open(sys.argv[3]))
used_rules = set()
for g in rules["groups"]:
    for r in g["rules"]:
        used_rules |= named(r["expr"])
dash = json.load(open(sys.argv[4]))
def walk(panels):
    for p in panels:
        yield p
        yield from walk(p.get("panels", []))
panels = list(walk(dash["panels"]))
used_dash = set()
for p in panels:
    for t in p.get("targets", []):
        used_dash |= named(t["expr"])
print("exported %d kubeharden series names" % len(exported))
print("rules name unknown metrics: %s" % sorted(used_rules - exported))
print("dashboard names unknown metrics: %s" % sorted(used_dash - exported))
print("rules name %d metrics, dashboard %d" % (len(used_rules), len(used_dash)))
ids = [p["id"] for p in panels]
print("schemaVersion %s" % (isinstance(dash.get("schemaVersion"), int) and dash["schemaVersion"] >= 30))
print("unique ids %s" % (len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids)))
print("every panel queries %s" % all(p.get("targets") and all(t.get("expr") for t in p["targets"])
                                      for p in panels if p["type"] != "row"))
print("inside the grid %s" % all(0 <= p["gridPos"]["x"] and p["gridPos"]["x"] + p["gridPos"]["w"] <= 24
                                 for p in panels))
print("serve and watch both shown %s" % (any(n.startswith("kubeharden_admission") for n in used_dash)
                                        and any(n.startswith("kubeharden_watch") for n in used_dash)))
PY
cat names
contains "the rules name only exported metrics" names "rules name unknown metrics: []"
contains "the dashboard names only exported metrics" names "dashboard names unknown metrics: []"
contains "the dashboard sets schemaVersion" names "schemaVersion True"
contains "panel ids are unique" names "unique ids True"
contains "every panel has a query" names "every panel queries True"
contains "panels fit the grid" names "inside the grid True"
contains "the dashboard covers serve and watch" names "serve and watch both shown True"

# A real prometheus with the rules, scraping the watcher.
if command -v prometheus > /dev/null; then
    pport=$(free_port)
    cat > prometheus.yml <<Y
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ['$mon/prometheus-rules.yaml']
scrape_configs:
- job_name: kubeharden-watch
  static_configs: [{targets: ['127.0.0.1:$mport']}]
Y
    prometheus --config.file=prometheus.yml --storage.tsdb.path=tsdb \
        --web.listen-address=127.0.0.1:$pport > prometheus.log 2>&1 &
    ppid=$!
    pids+=("$ppid")
    q() { curl -s "http://127.0.0.1:$pport/api/v1/$1" | python3 -c "$2" 2>/dev/null; }
    n=
    for _ in $(seq 100); do
        n=$(q 'query?query=kubeharden_watch_events_total%7Bsource%3D%22file%22%7D' \
            'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")')
        [ "$n" = 1 ] && break
        sleep 0.2
    done
    check "prometheus scrapes the watcher: one event from the file" 1 "$n"
    sleep 2 # a few rule evaluations
    q rules 'import json,sys
rs = [r for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]
print("%d rules loaded" % len(rs))
print("health " + ",".join(sorted({r["health"] for r in rs})))
print("errors %s" % [r.get("lastError") for r in rs if r.get("lastError")])' > prom_rules
    cat prom_rules
    contains "prometheus loads every rule" prom_rules "18 rules loaded"
    contains "and evaluates each without error" prom_rules "health ok"
    [ "$n" = 1 ] || tail -20 prometheus.log
    kill -TERM "$ppid"; wait "$ppid" 2>/dev/null
else echo "skip: prometheus not installed"; fi
kill -TERM "$wpid"; wait "$wpid" 2>/dev/null
exit $((fails > 0))

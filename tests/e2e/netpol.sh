#!/usr/bin/env bash
# netpol.sh -- `kubeharden netpol` driven as a user would: the matrix in
# text, JSON, CSV and DOT (rendered by Graphviz), can-reach with its exit
# status and the rules it names, stdin input, `check` as scan --area
# netpol, and isolation assertions from the configuration file.
set -u
. "$(dirname "$0")/lib/check.bash"
shop=$src/tests/fixtures/netpol/shop.yaml

"$bin" netpol --help > help.txt
check "netpol --help" 0 $?
contains "help names the subcommands" help.txt 'kubeharden netpol can-reach SRC DST [PORT[/PROTO]] PATH...'
"$bin" netpol reach a b > err 2>&1
check "unknown subcommand is a usage error" 2 $?
contains "usage error names it" err "unknown subcommand 'reach'"
"$bin" netpol matrix > err 2>&1
check "no input is a usage error" 2 $?

"$bin" netpol matrix "$shop" > m.txt 2>&1
check "matrix answers" 0 $?
contains "named port resolved at the destination (web -> api http = 9000)" m.txt \
    'shop/Deployment/web -> shop/Deployment/api: TCP 9000'
contains "AND peer: prometheus in ops-labelled namespaces reaches api metrics" m.txt \
    'monitoring/Deployment/prometheus -> shop/Deployment/api: TCP 9100'
contains "ipBlock except cuts the range" m.txt \
    'shop/Deployment/api -> 11.0.0.0-172.15.255.255: TCP 443'
contains "outside range into the SIEM" m.txt '203.0.113.0/24 -> siem/StatefulSet/collector: TCP 8443'
lacks "default deny holds: db reaches nothing" m.txt 'shop/StatefulSet/db ->'
contains "summary line" m.txt '# 5 workloads (5 classes), 5 policies'

"$bin" netpol matrix -o json "$shop" > m.json
check "matrix -o json" 0 $?
python3 -c 'import json,sys; d=json.load(open("m.json")); assert len(d["workloads"]) == 5; assert any(c["from"] == "shop/Deployment/api" and c["to"] == "shop/StatefulSet/db" and c["allowed"] == [{"protocol": "TCP", "port": 5432, "endPort": 5432}] for c in d["connections"])' \
    && echo "ok: JSON parses and holds api -> db on TCP 5432" || { echo "FAIL: JSON"; fails=$((fails + 1)); }

"$bin" netpol matrix -o csv "$shop" > m.csv
contains "csv header" m.csv 'from,to,protocol,port,end_port'
contains "csv row per port range" m.csv 'siem/StatefulSet/collector,monitoring/Deployment/prometheus,SCTP,1,65535'

"$bin" netpol matrix -o dot "$shop" > m.dot
check "matrix -o dot" 0 $?
if command -v dot > /dev/null; then
    dot -Tsvg m.dot > m.svg 2> dot.err
    check "Graphviz renders the DOT" 0 $?
    contains "the SVG has the namespace clusters" m.svg 'cluster_shop'
    contains "the SVG has an edge label" m.svg 'TCP 5432'
else
    echo "FAIL: graphviz (dot) is not installed (scripts/deps.sh installs it)"; fails=$((fails + 1))
fi

"$bin" netpol matrix -o yaml "$shop" > err 2>&1
check "unknown format is a usage error" 2 $?
contains "format error names the value" err "unknown format 'yaml'"

"$bin" netpol can-reach shop/web shop/deployment/api 9000/TCP "$shop" > r.txt
check "can-reach yes exits 0" 0 $?
contains "verdict" r.txt 'yes: shop/Deployment/web can reach shop/Deployment/api on TCP 9000'
contains "egress rule named" r.txt 'egress of shop/Deployment/web: allowed by shop/NetworkPolicy/web spec.egress[0] (TCP 9000)'
contains "ingress rule named" r.txt 'ingress of shop/Deployment/api: allowed by shop/NetworkPolicy/api spec.ingress[0] (TCP 9000)'

"$bin" netpol can-reach shop/web shop/db pg/TCP "$shop" > r.txt
check "can-reach no exits 1" 1 $?
contains "named port of the destination" r.txt 'no: shop/Deployment/web cannot reach shop/StatefulSet/db on TCP 5432'
contains "deny names the isolating policies" r.txt 'denied: isolated by shop/NetworkPolicy/default-deny, shop/NetworkPolicy/db'

"$bin" netpol can-reach shop/api 8.8.8.8 --port 443 "$shop" > r.txt
check "can-reach to an outside address" 0 $?
"$bin" netpol can-reach shop/api 10.1.2.3 --port 443 "$shop" > r.txt
check "except range is refused" 1 $?

"$bin" netpol can-reach shop/web shop/service/api 80 "$shop" > r.txt
check "a Service stands for its backends" 0 $?
contains "service port to named targetPort of the backend" r.txt \
    'Service shop/api port 80 (TCP) -> backend shop/Deployment/api on TCP 9000'
contains "service verdict first" r.txt 'yes: shop/Deployment/web can reach Service shop/api (1 of 1 backend ports reachable)'
"$bin" netpol can-reach shop/web shop/svc/db 5432 "$shop" > r.txt
check "a Service whose backends refuse" 1 $?
"$bin" netpol can-reach shop/web shop/svc/api 81 "$shop" > err 2>&1
check "a port the Service does not have" 2 $?
contains "service port error" err "Service shop/api has no port '81'"

"$bin" netpol can-reach shop/nope shop/db "$shop" > err 2>&1
check "unknown workload is an error" 2 $?
contains "error names it" err "no workload 'shop/nope' in the input"

"$bin" netpol can-reach shop/web shop/api 9000 - < "$shop" > r.txt
check "stdin input" 0 $?

"$bin" netpol check --no-config "$shop" > c.txt
check "check finds the open namespaces" 1 $?
contains "check is scan --area netpol" c.txt 'netpol.namespace-without-default-deny-ingress'
lacks "check runs no other area" c.txt 'workload.'

cat > .kubeharden.yaml <<'Y'
netpol:
  isolation:
  - name: siem
    namespaces: {matchLabels: {kubeharden.io/sensitive: "true"}}
    allowFrom: {matchLabels: {team: security}}
    ports: [514/UDP]
Y
"$bin" scan --area netpol --rule netpol.isolation-assertion-broken -o json "$shop" > iso.json
check "broken isolation is a finding" 1 $?
contains "isolation finding" iso.json "isolation 'siem' is broken"
contains "related rule that allows it" iso.json 'spec.ingress[0]'

cat > .kubeharden.yaml <<'Y'
netpol:
  isolation:
  - namespaces: {matchLabels: {kubeharden.io/sensitive: "true"}}
    allowFrom: {matchLabels: {team: security}}
    ports: [http]
Y
"$bin" scan --area netpol "$shop" > err 2>&1
check "bad assertion port is a config error" 2 $?
contains "config error names the value" err "bad netpol.isolation port 'http'"

cat > .kubeharden.yaml <<'Y'
netpol:
  isolation:
  - namespaces: {matchLabels: {kubeharden.io/sensitive: "true"}}
Y
"$bin" scan --area netpol "$shop" > err 2>&1
check "an assertion without allowFrom is a config error" 2 $?
contains "config error names the missing key" err "a netpol.isolation entry needs allowFrom (a label selector)"

cat > .kubeharden.yaml <<'Y'
netpol:
  isolation:
  - namespaces: {matchExpressions: [{key: a, operator: Near}]}
    allowFrom: {}
Y
"$bin" scan --area netpol "$shop" > err 2>&1
check "an invalid selector is a config error" 2 $?
contains "config error names the selector" err "netpol.isolation namespaces:"

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }

#!/usr/bin/env bash
# deps.sh -- install the Debian packages kubeharden needs to build and test,
# only those that are missing. Used by scripts/demo.sh, scripts/test.sh and .ci/run.
set -euo pipefail

packages=(gcc libc6-dev make cmake pkg-config libyaml-dev libcmocka-dev python3
          python3-jsonschema python3-yaml clang libclang-rt-14-dev
          libmicrohttpd-dev libgnutls28-dev openssl curl wrk prometheus kubectl
          graphviz etcd-server libcurl4-gnutls-dev rsyslog rsyslog-gnutls nats-server
          strace)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

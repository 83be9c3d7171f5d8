#!/usr/bin/env bash
# cluster_roots.sh -- the roots the API client trusts. With a CA in the
# kubeconfig (a file or inline data) that CA is the only root, as client-go
# builds RootCAs from it alone: libcurl's built-in directory of public CAs
# (/etc/ssl/certs on Debian) is never read, so no public CA can vouch for
# the API server. Checked with strace on the files the scan opens; a
# kubeconfig without a CA is the control that shows the directory would be
# seen (and that the test CA is then not trusted).
. "$(dirname "$0")/lib/check.bash"
command -v strace >/dev/null || exit 77
[ -d /etc/ssl/certs ] || exit 77
. "$(dirname "$0")/lib/apiserver.bash"
apiserver_start --objects "$srv/objects.json" --token t

traced() { # label kubeconfig: scan under strace; sets $rc
    # LeakSanitizer cannot run under ptrace (the sanitizer builds): the
    # other tests check leaks.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -f -e trace=open,openat -o "$1.trace" "$bin" scan --cluster \
        --kubeconfig "$2" --no-config --kinds Namespace -o json > "$1.json" 2> "$1.err"
    rc=$?
}

kubeconfig file.yaml "certificate-authority: $tmp/ca.crt"
traced file file.yaml
check "certificate-authority: the scan runs" 0 $rc
lacks "certificate-authority: /etc/ssl/certs is not read" file.trace /etc/ssl/certs
contains "certificate-authority: the CA file is read" file.trace "$tmp/ca.crt"

kubeconfig data.yaml "certificate-authority-data: $(base64 -w0 ca.crt)"
traced data data.yaml
check "certificate-authority-data: the scan runs" 0 $rc
lacks "certificate-authority-data: /etc/ssl/certs is not read" data.trace /etc/ssl/certs

kubeconfig none.yaml "tls-server-name: localhost"
traced none none.yaml
check "no CA: the test CA is not a system root, so the scan fails" 2 $rc
contains "no CA: the system roots are read" none.trace /etc/ssl/certs
contains "no CA: the failure names the certificate" none.err certificate

[ "$fails" -eq 0 ]

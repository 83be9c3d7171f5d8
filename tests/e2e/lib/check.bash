# check.bash -- shared by the end-to-end scripts: a temporary working
# directory (no .kubeharden.yaml above it) and small assertions that count
# failures in $fails instead of stopping at the first.
bin=${KH_BIN:?}
src=${KH_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0

check() { # description expected-status actual-status
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1: exit $3, expected $2"; fails=$((fails + 1))
    else
        echo "ok: $1"
    fi
}
contains() { # description file needle
    if grep -qF -- "$3" "$2"; then echo "ok: $1"; else
        echo "FAIL: $1: no '$3' in:"; cat "$2"; fails=$((fails + 1)); fi
}
lacks() { # description file needle
    if grep -qF -- "$3" "$2"; then
        echo "FAIL: $1: unexpected '$3' in:"; cat "$2"; fails=$((fails + 1))
    else echo "ok: $1"; fi
}

#!/usr/bin/env bash
# cli_order.sh -- the command table (src/cli/main.c) and every command's
# option table (src/cli/cmd_*.c) are sorted by long name, as their comments
# promise, like the rule registry. --help prints each table in its order, so
# the check reads the tool's own help: a new command or option is covered
# without touching this script.
set -u
bin=${KH_BIN:?}
fails=0

# The names in one help section: the lines after HEADING up to a blank line,
# the first "--name" (options) or first word (commands) of each.
section() { # heading
    awk -v h="$1" '$0 == h { on = 1; next } on && /^$/ { exit } on { print }'
}

sorted() { # what names...
    local what=$1; shift
    if [ $# -eq 0 ]; then
        echo "FAIL: $what: no entries found in the help"; fails=$((fails + 1)); return
    fi
    if printf '%s\n' "$@" | LC_ALL=C sort -c -u 2>/dev/null; then
        echo "ok: $what sorted ($*)"
    else
        echo "FAIL: $what not sorted by long name: $*"
        echo "  expected: $(printf '%s\n' "$@" | LC_ALL=C sort | tr '\n' ' ')"
        fails=$((fails + 1))
    fi
}

mapfile -t commands < <("$bin" --help | section "Commands:" | awk '{ print $1 }')
sorted "commands (src/cli/main.c)" "${commands[@]}"
for cmd in "${commands[@]}"; do
    help=$("$bin" "$cmd" --help) || { echo "FAIL: $cmd --help exits non-zero"; fails=$((fails + 1)); }
    # A command without options (version) has no Options: section.
    grep -qx "Options:" <<<"$help" || continue
    mapfile -t opts < <(section "Options:" <<<"$help" |
                        sed -n 's/^ *\(-[^-], \)\{0,1\}--\([^ ]*\).*/\2/p')
    sorted "$cmd options (src/cli/cmd_$cmd.c)" "${opts[@]}"
done
[ $fails -eq 0 ]

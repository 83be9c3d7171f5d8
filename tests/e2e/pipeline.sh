#!/usr/bin/env bash
# pipeline.sh -- a big input is loaded on one thread and checked on another;
# the findings, their order and the summary must be exactly those of a
# single-threaded scan, for files and for stdin, including when a document
# in the middle is malformed.
set -u
bin=${KH_BIN:?}
gen=${KH_GEN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

"$gen" 4000 7 > "$tmp/big.yaml"                # about 7 MB: above the 4 MiB threshold
{ "$gen" 2000 8; printf -- '---\nkind: Pod\nkind: Pod\nmetadata: {name: dup}\n---\n- not an object\n'; "$gen" 2000 9; } \
    > "$tmp/mixed.yaml"
for input in big mixed; do
    for t in 1 2; do
        "$bin" scan --no-config --threads $t -o json "$tmp/$input.yaml" > "$tmp/$input.$t.json"
        echo "exit $?" >> "$tmp/$input.$t.json"
    done
    if cmp -s "$tmp/$input.1.json" "$tmp/$input.2.json"; then
        echo "ok: $input: two threads give the same report as one"
    else
        echo "FAIL: $input: reports differ"; diff "$tmp/$input.1.json" "$tmp/$input.2.json" | head
        fails=$((fails + 1))
    fi
done
"$bin" scan --no-config --threads 2 -o json - < "$tmp/big.yaml" > "$tmp/stdin.json"
sed 's|"<stdin>"|"'"$tmp"'/big.yaml"|' "$tmp/stdin.json" > "$tmp/stdin.renamed.json"
echo "exit 1" >> "$tmp/stdin.renamed.json"
if cmp -s "$tmp/stdin.renamed.json" "$tmp/big.1.json"; then
    echo "ok: stdin through the pipeline"
else
    echo "FAIL: stdin report differs"; fails=$((fails + 1))
fi
grep -q '"errors": 2' "$tmp/mixed.2.json" && echo "ok: the two bad documents are reported" ||
    { echo "FAIL: malformed document not counted"; fails=$((fails + 1)); }
[ $fails -eq 0 ]

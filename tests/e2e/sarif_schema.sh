#!/usr/bin/env bash
#
# sarif_schema.sh -- the machine-readable reports are valid documents.
#
# Runs `kubeharden scan` over the test cases, the examples and a generated
# manifest full of awkward strings (spaces and quotes in names, non-ASCII,
# a suppressed finding, a malformed document, stdin), then checks that:
#   - -o sarif validates against tests/schema/sarif-schema-2.1.0.json, has
#     consistent rule indexes, valid URIs and regions;
#   - -o json parses, validates against tests/schema/kubeharden-report-1.schema.json
#     (docs/output.md), keeps its key order and its summary agrees with its
#     findings;
#   - both are laid out exactly as json.dumps(indent=2) would (determinism);
#   - -o junit is well-formed XML.
# Needs KH_BIN (the binary) and KH_SOURCE_DIR (the source tree), set by CTest.
set -euo pipefail

: "${KH_BIN:?set KH_BIN to the kubeharden binary}"
: "${KH_SOURCE_DIR:?set KH_SOURCE_DIR to the source tree}"
schemas="$KH_SOURCE_DIR/tests/schema"
case $KH_BIN in
/*) ;;
*/*) KH_BIN=$PWD/$KH_BIN ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A manifest with everything a writer must escape or encode.
mkdir -p "$tmp/odd dir"
cat > "$tmp/odd dir/we\"ird näme.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: "caf\u00e9-\"quoted\"-<tag>&"
  namespace: default
  annotations:
    ignore.kubeharden.io/image.tag-not-pinned: "reviewed: \"ok\" <by> sec & ops\ttab"
spec:
  hostNetwork: true
  containers:
  - name: "app \u001b[31m"
    image: busybox
    securityContext: {privileged: true}
---
kind: [this document is not valid
EOF

inputs=("$tmp/odd dir")
for dir in "$KH_SOURCE_DIR/tests/cases" "$KH_SOURCE_DIR/examples"; do
    if [ -d "$dir" ]; then
        inputs+=("$dir")
    fi
done

# Sanitizers exit 1 by default, which would pass for "findings".
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86"

# Exit 0: clean, 1: findings, 2: input errors. Anything else, or anything
# a sanitizer printed, is a failure.
scan() {
    local format=$1 out=$2 rc=0
    shift 2
    "$KH_BIN" scan --no-config -o "$format" "$@" > "$out" 2> "$out.err" || rc=$?
    if [ "$rc" -gt 2 ] || grep -qE 'runtime error:|Sanitizer' "$out.err"; then
        echo "FAIL: kubeharden scan -o $format $* exited $rc" >&2
        cat "$out.err" >&2
        exit 1
    fi
}

# Everything at once, each input alone (a writer starts from a clean
# state), and standard input.
odd="$tmp/odd dir/we\"ird näme.yaml"
for format in sarif json; do
    scan "$format" "$tmp/all.$format" "${inputs[@]}"
    for i in "${!inputs[@]}"; do
        scan "$format" "$tmp/input$i.$format" "${inputs[$i]}"
    done
    scan "$format" "$tmp/stdin.$format" - < "$odd"
    # Relative paths stay relative references in SARIF.
    (cd "$tmp" && scan "$format" "$tmp/input-relative.$format" "odd dir")
done
scan junit "$tmp/all.xml" "${inputs[@]}"
scan text "$tmp/all.txt" "${inputs[@]}"

python3 - "$schemas" "$tmp" <<'EOF'
import glob
import json
import re
import sys
import xml.dom.minidom

from jsonschema import validators

schemas, tmp = sys.argv[1], sys.argv[2]
failures = []


def fail(msg):
    failures.append(msg)


def load(path):
    """Parse strictly: UTF-8, one JSON document, canonical layout."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    doc = json.loads(text)
    if json.dumps(doc, indent=2, ensure_ascii=False) + "\n" != text:
        fail(f"{path}: not laid out as json.dumps(indent=2)")
    return doc


# A relative reference that does not start with "/" (SARIF1004), or a file: URI.
URI = re.compile(r"^(?:file://(?=/)|(?!/))(?:[A-Za-z0-9\-._~/!$&'()*+,;=@]|%[0-9A-F]{2})*$")


def walk(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, f"{path}/{k}")
        yield path, node
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}/{i}")


def check_sarif(path, validator):
    doc = load(path)
    validate(path, doc, validator)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    if ids != sorted(ids) or len(set(ids)) != len(ids):
        fail(f"{path}: rule ids not sorted and unique")
    for i, res in enumerate(run["results"]):
        if "ruleIndex" in res and ids[res["ruleIndex"]] != res["ruleId"]:
            fail(f"{path}: results/{i}: ruleIndex does not point at {res['ruleId']}")
    for where, obj in walk(doc):
        if where.endswith("/artifactLocation") and not URI.match(obj.get("uri", "")):
            fail(f"{path}: {where}: not a percent-encoded URI reference: {obj.get('uri')!r}")
        if where.endswith("/region") and obj.get("startLine", 0) < 1:
            fail(f"{path}: {where}: region without startLine")
    return doc


FINDING_KEYS = ["type", "ruleId", "severity", "file", "line", "column", "apiVersion",
                "kind", "namespace", "name", "path", "message", "suppressed"]
SEVERITIES = ["critical", "high", "medium", "low", "info"]


def validate(path, doc, validator):
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path)
        fail(f"{path}: schema: at /{where}: {err.message}")


def check_json(path, validator):
    doc = load(path)
    validate(path, doc, validator)
    if doc.get("schemaVersion") != 1:
        fail(f"{path}: schemaVersion is not 1")
    if list(doc) != ["schemaVersion", "tool", "findings", "summary"]:
        fail(f"{path}: top-level keys {list(doc)}")
    counts = {"finding": 0, "suppressed": 0, "error": 0}
    for i, f in enumerate(doc["findings"]):
        if list(f) != FINDING_KEYS:
            fail(f"{path}: findings/{i}: keys {list(f)}")
            continue
        if f["type"] == "error":
            counts["error"] += 1
        elif f["suppressed"] is not None:
            counts["suppressed"] += 1
            if not isinstance(f["suppressed"].get("reason"), str):
                fail(f"{path}: findings/{i}: suppressed without a reason")
        else:
            counts["finding"] += 1
        if f["type"] == "finding" and f["severity"] not in SEVERITIES:
            fail(f"{path}: findings/{i}: severity {f['severity']!r}")
    s = doc["summary"]
    if list(s["bySeverity"]) != SEVERITIES:
        fail(f"{path}: summary.bySeverity keys {list(s['bySeverity'])}")
    if sum(s["bySeverity"].values()) != s["findings"]:
        fail(f"{path}: summary.findings is not the sum of bySeverity")
    for key, n in (("findings", "finding"), ("suppressed", "suppressed"), ("errors", "error")):
        if s[key] != counts[n]:
            fail(f"{path}: summary.{key} = {s[key]} but the array holds {counts[n]}")
    return doc


def validator_for(name):
    """A validator of the draft the schema itself declares."""
    with open(f"{schemas}/{name}", encoding="utf-8") as f:
        schema = json.load(f)
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


sarif_validator = validator_for("sarif-schema-2.1.0.json")
json_validator = validator_for("kubeharden-report-1.schema.json")

for path in sorted(glob.glob(f"{tmp}/input*.sarif")):
    check_sarif(path, sarif_validator)
relative = load(f"{tmp}/input-relative.sarif")["runs"][0]["results"]
if not relative or not all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("odd%20dir/")
        for r in relative):
    fail("input-relative.sarif: a relative path did not stay a relative URI")
for path in sorted(glob.glob(f"{tmp}/input*.json")):
    check_json(path, json_validator)
sarif = check_sarif(f"{tmp}/all.sarif", sarif_validator)
stdin_sarif = check_sarif(f"{tmp}/stdin.sarif", sarif_validator)
check_json(f"{tmp}/all.json", json_validator)
stdin_json = check_json(f"{tmp}/stdin.json", json_validator)
xml.dom.minidom.parse(f"{tmp}/all.xml")

# The awkward manifest must have produced what the writers must cope with.
run = stdin_sarif["runs"][0]
if not any("suppressions" in r for r in run["results"]):
    fail("stdin.sarif: no suppressed result")
if not run["invocations"][0].get("toolExecutionNotifications"):
    fail("stdin.sarif: the malformed document gave no notification")
if not any(f["type"] == "error" for f in stdin_json["findings"]):
    fail("stdin.json: the malformed document gave no error")
if not sarif["runs"][0]["results"]:
    fail("all.sarif: no results at all")

for msg in failures:
    print("FAIL:", msg, file=sys.stderr)
if failures:
    sys.exit(1)
print(f"ok: sarif ({len(sarif['runs'][0]['results'])} results) and json validate "
      f"against their schemas; junit is well-formed")
EOF

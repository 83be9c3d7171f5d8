#!/usr/bin/env bash
#
# sarif_schema.sh -- the machine-readable reports are valid documents.
#
# Runs `kubeharden scan` over the test cases, the examples and a generated
# manifest full of awkward strings (spaces and quotes in names, non-ASCII,
# a suppressed finding, a malformed document, stdin), then checks that:
#   - -o sarif validates against tests/schema/sarif-schema-2.1.0.json, has
#     consistent rule indexes, valid URIs and regions, %SRCROOT% on relative
#     paths, a fingerprint per result, and columns in code points as it says;
#   - -o json parses, validates against tests/schema/kubeharden-report-2.schema.json
#     (docs/output.md), keeps its key order and its summary agrees with its
#     findings;
#   - related locations, which no rule reports yet, pass the same checks in
#     the samples the report unit test writes (unit_report_test_sarif with
#     KH_REPORT_SAMPLES set; KH_REPORT_SAMPLER names it, else it is looked
#     for in the build tree beside KH_BIN);
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

# Non-ASCII before a finding on the same line: columns count code points.
cat > "$tmp/odd dir/wide.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: "çà-üñï", namespace: "é"}
spec: {containers: [{name: "ünï", image: "busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000", securityContext: {privileged: true}}]}
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

sampler=${KH_REPORT_SAMPLER:-$(dirname "$KH_BIN")/tests/unit_report_test_sarif}
mkdir -p "$tmp/samples"
if [ -x "$sampler" ]; then
    KH_REPORT_SAMPLES="$tmp/samples" "$sampler"
else
    echo "note: no $sampler: related locations not checked against the schemas" >&2
fi

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


FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")


def check_sarif(path, validator):
    doc = load(path)
    validate(path, doc, validator)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    if ids != sorted(ids) or len(set(ids)) != len(ids):
        fail(f"{path}: rule ids not sorted and unique")
    if run.get("columnKind") != "unicodeCodePoints":
        fail(f"{path}: columnKind is {run.get('columnKind')!r}")
    bases = run.get("originalUriBaseIds", {})
    for i, res in enumerate(run["results"]):
        if "ruleIndex" in res and ids[res["ruleIndex"]] != res["ruleId"]:
            fail(f"{path}: results/{i}: ruleIndex does not point at {res['ruleId']}")
        if not FINGERPRINT.match(res.get("partialFingerprints", {}).get("kubeharden/v1", "")):
            fail(f"{path}: results/{i}: no kubeharden/v1 partial fingerprint")
        related = [loc.get("id") for loc in res.get("relatedLocations", [])]
        if related != list(range(len(related))):
            fail(f"{path}: results/{i}: relatedLocations ids {related}")
    for where, obj in walk(doc):
        if where.endswith("/artifactLocation"):
            uri = obj.get("uri", "")
            if not URI.match(uri):
                fail(f"{path}: {where}: not a percent-encoded URI reference: {uri!r}")
            # SARIF 3.4.4: a base id goes with a relative reference, and is defined.
            relative = not uri.startswith("file:") and uri != "%3Cstdin%3E"
            if relative != ("uriBaseId" in obj):
                fail(f"{path}: {where}: uriBaseId {obj.get('uriBaseId')!r} on {uri!r}")
            if "uriBaseId" in obj and obj["uriBaseId"] not in bases:
                fail(f"{path}: {where}: uriBaseId {obj['uriBaseId']!r} not in originalUriBaseIds")
        if where.endswith("/region") and obj.get("startLine", 0) < 1:
            fail(f"{path}: {where}: region without startLine")
    return doc


FINDING_KEYS = ["type", "ruleId", "severity", "file", "line", "column", "apiVersion",
                "kind", "namespace", "name", "path", "message", "suppressed", "related"]
LOCATION_KEYS = ["file", "line", "column", "kind", "namespace", "name", "path", "message"]
SEVERITIES = ["critical", "high", "medium", "low", "info"]


def validate(path, doc, validator):
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path)
        fail(f"{path}: schema: at /{where}: {err.message}")


def check_json(path, validator):
    doc = load(path)
    validate(path, doc, validator)
    if doc.get("schemaVersion") != 2:
        fail(f"{path}: schemaVersion is not 2")
    if list(doc) != ["schemaVersion", "tool", "findings", "summary"]:
        fail(f"{path}: top-level keys {list(doc)}")
    counts = {"finding": 0, "suppressed": 0, "error": 0}
    for i, f in enumerate(doc["findings"]):
        if list(f) != FINDING_KEYS:
            fail(f"{path}: findings/{i}: keys {list(f)}")
            continue
        for j, loc in enumerate(f["related"]):
            if list(loc) != LOCATION_KEYS:
                fail(f"{path}: findings/{i}/related/{j}: keys {list(loc)}")
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
json_validator = validator_for("kubeharden-report-2.schema.json")

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

# Related locations, from the unit test's samples when it could be run.
samples = f"{tmp}/samples"
if glob.glob(f"{samples}/*"):
    related_sarif = check_sarif(f"{samples}/related.sarif", sarif_validator)
    related_json = check_json(f"{samples}/related.json", json_validator)
    cluster = check_sarif(f"{samples}/cluster.sarif", sarif_validator)["runs"][0]
    base = cluster["originalUriBaseIds"]["APISERVER"]["uri"]
    if not base.endswith("/"):
        fail(f"cluster.sarif: APISERVER base {base!r} does not end with a slash")
    for res in cluster["results"]:
        art = res["locations"][0]["physicalLocation"]["artifactLocation"]
        if art.get("uriBaseId") != "APISERVER" or art["uri"].startswith(("/", "file:")):
            fail(f"cluster.sarif: {art} is not relative to the API server")
    if not any(r.get("relatedLocations") for r in related_sarif["runs"][0]["results"]):
        fail("related.sarif: no relatedLocations")
    if not any(f["related"] for f in related_json["findings"]):
        fail("related.json: no related locations")

# Columns are what the SARIF says: Unicode code points, 1-based.
wide = [r for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "pss.baseline.privileged"
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("/wide.yaml")]
line4 = ("spec: {containers: [{name: \"\u00fcn\u00ef\", image: \"busybox@sha256:" + "0" * 64
         + "\", securityContext: {privileged: true}}]}")
want = {"startLine": 4, "startColumn": line4.index("privileged") + 1}
if len(wide) != 1:
    fail(f"all.sarif: {len(wide)} privileged results for wide.yaml, expected 1")
elif wide[0]["locations"][0]["physicalLocation"]["region"] != want:
    fail(f"all.sarif: wide.yaml region {wide[0]['locations'][0]['physicalLocation']['region']}, "
         f"expected {want} (code points)")

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
      f"against their schemas; junit is well-formed; related locations "
      f"{'validate' if glob.glob(f'{samples}/*') else 'not checked (no sampler)'}")
EOF

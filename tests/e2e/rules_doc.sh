#!/usr/bin/env bash
# rules_doc.sh -- docs/rules.md must be exactly what the registry generates.
set -eu
cd "${KH_SOURCE_DIR:?}"
if ! "${KH_BIN:?}" rules --doc --cases tests/cases | diff -u docs/rules.md -; then
    echo "docs/rules.md is stale: run 'make docs' (or: kubeharden rules --doc --cases tests/cases > docs/rules.md)"
    exit 1
fi

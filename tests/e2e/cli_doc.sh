#!/usr/bin/env bash
# cli_doc.sh -- docs/cli.md must be exactly what the tool's --help generates.
set -eu
cd "${KH_SOURCE_DIR:?}"
if ! bash scripts/cli-doc.sh "${KH_BIN:?}" | diff -u docs/cli.md -; then
    echo "docs/cli.md is stale: run 'make docs' (or: scripts/cli-doc.sh build/kubeharden > docs/cli.md)"
    exit 1
fi

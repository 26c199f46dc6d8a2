#!/usr/bin/env bash
# The test command: set up, lint and type-check, then the worker SDK's pytest suite and every unit and
# integration suite of the orchestrator.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm run --silent lint
(cd worker && python3 -m pytest -q)
node scripts/run-tests.mjs "${1:-all}" ${2:+"$2"}

#!/usr/bin/env bash
# The test command: set up, lint and type-check, then the worker SDK's and the evaluator's pytest suites and every unit and
# integration suite of the orchestrator.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm run --silent lint
(cd worker && python3 -m pytest -q)
# The scib evaluator's suite runs in its own environment (scripts/setup-evaluator.sh made it).
"${MULTIVERSE_ENVS_DIR:-$HOME/.multiverse/envs}/scib-evaluator-1.0.0/bin/python3" -m pytest -q -p no:cacheprovider store/evaluators/scib/tests
node scripts/run-tests.mjs "${1:-all}" ${2:+"$2"}

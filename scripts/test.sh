#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh Debian machine, then runs it.
# Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-env.sh
.venv/bin/ruff check src tests
exec .venv/bin/python -m pytest -q "$@"

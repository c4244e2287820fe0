#!/usr/bin/env bash
# Run the whole test suite. On a fresh machine this first creates .venv and installs the
# project with its test extras (PyPI only). Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
source ./scripts/venv.sh test
exec .venv/bin/python -m pytest "$@"

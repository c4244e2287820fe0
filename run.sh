#!/usr/bin/env bash
# Run the service on its embedded defaults: SQLite under ./var and the AMI replay server
# playing recorded hotline traffic as the PBX (demo mode). On a fresh machine this first
# creates .venv and installs the project (PyPI only). Arguments go to `callcenter demo`.
set -euo pipefail
cd "$(dirname "$0")"
source ./scripts/venv.sh
exec .venv/bin/callcenter demo "$@"

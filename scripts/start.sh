#!/usr/bin/env bash
# `npm start`: sets up what is missing, builds, and runs ipkeeperd on its embedded SQLite store under ./data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The Node flags of bin/ipkeeperd (why: see there).
exec node --max-semi-space-size=4 dist/daemon/main.js "$@"

#!/usr/bin/env bash
# `npm test`: the whole suite. Installs what is missing (scripts/setup.sh --test), runs the static checks
# (types, lint, dependency rule), then every test file: unit and property tests beside the engine, the store
# conformance suite, and the integration suites that start their own daemons and network namespaces against
# the real kubectl and Debian's CNI plugins.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
npm run --silent typecheck
npm run --silent deps
npx eslint --quiet .
npx prettier --check --log-level warn .
mapfile -t files < <(find src test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"

#!/usr/bin/env bash
# The whole test suite: static checks, then every test file (unit, property, integration, end-to-end).
# Integration suites start their own daemons, etcd members and network namespaces; the ones that need
# root or a Debian package they cannot find say so and are skipped with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
npm run --silent typecheck
npm run --silent deps
npx eslint --quiet .
npm run --silent build
mapfile -t files < <(find src test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"

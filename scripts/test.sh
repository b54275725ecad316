#!/usr/bin/env bash
# The whole test suite: installs the tools tests need, runs every test file, and ends with the plain
# "N passed, N failed" line CI reads. Run through `npm test` so node_modules/.bin (bun, deno, tsc) is on PATH.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh || exit 1
# The real servers tests/e2e-real runs against, built from their Go modules (cached by version outside the repo):
# built before any test starts, so a cold build never eats into a test's deadline.
bash scripts/real-servers.sh || exit 1
export PATH="$PWD/.tools/bin:$PATH"
export CONTAINERS_CONF="$PWD/.tools/containers.conf"
log=$(mktemp)
# bun ignores bunfig.toml's test timeout; end-to-end tests wait on real processes on a busy 2-core machine.
bun test --timeout 120000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
rm -f "$log"
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$status"

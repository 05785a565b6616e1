#!/usr/bin/env bash
# The whole test suite: builds the solution and runs every test project, then prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
results="${DSDR_TEST_RESULTS:-$PWD/artifacts/test-results}"
rm -rf "$results" && mkdir -p "$results"

dotnet build Dsdr.sln -c Release -nologo -v q -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }
dotnet test Dsdr.sln -c Release --no-build --nologo -v q \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results"
rc=$?

passed=0; failed=0; files=0
for f in "$results"/*.trx; do
  [ -e "$f" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$f" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f_=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f_:-0}))
done
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[ "$rc" -eq 0 ] && [ "$passed" -gt 0 ]

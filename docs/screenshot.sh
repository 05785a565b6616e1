#!/usr/bin/env bash
# Retakes docs/dashboard.png: the browser flow test drives a real host and headless Chromium through a sweep and
# saves the sweep page (03-sweep.png, signed in, Plotly charts, result table) among its screenshots; this copies it.
set -euo pipefail
cd "$(dirname "$0")/.."
export DSDR_TEST_RESULTS="${DSDR_TEST_RESULTS:-$PWD/artifacts/screenshot-run}"
dotnet build tests/Dsdr.Web.BrowserTests -c Release -nologo -v q -clp:ErrorsOnly
dotnet test tests/Dsdr.Web.BrowserTests -c Release --no-build --nologo -v q --filter "FullyQualifiedName~DashboardFlowTests.Submit_a_sweep"
cp "$DSDR_TEST_RESULTS/screenshots/03-sweep.png" docs/dashboard.png
echo "docs/dashboard.png updated from $DSDR_TEST_RESULTS/screenshots/03-sweep.png"

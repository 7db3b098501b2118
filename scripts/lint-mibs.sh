#!/usr/bin/env bash
# smilint at level 3 over our MIB modules, with the modules they import on its path.
# Prints nothing and exits 0 when all are clean (the tests assert the same).
set -euo pipefail
cd "$(dirname "$0")/.."
export SMIPATH="mibs:node_modules/net-snmp/lib/mibs"
rc=0
for m in mibs/*.txt; do
  smilint -l 3 -s "$m" || rc=1
done
exit $rc

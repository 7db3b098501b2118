#!/usr/bin/env bash
# smilint at level 3 over the MIB modules in mibs/ (the directory `madman mib path` names),
# with that directory as its path. The SNMPv2-* files are the IETF's base modules, copied
# from the net-snmp package: smilint knows them itself and is not asked to judge them.
# index-element-no-size is RFC 3415's own (an OBJECT IDENTIFIER index of the VACM view table).
# Prints nothing and exits 0 when all are clean (the tests assert the same).
set -euo pipefail
cd "$(dirname "$0")/.."
export SMIPATH="mibs"
rc=0
for m in mibs/*.txt; do
  case "$(basename "$m")" in SNMPv2-*) continue ;; esac
  smilint -l 3 -i index-element-no-size -s "$m" || rc=1
done
exit $rc

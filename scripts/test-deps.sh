#!/usr/bin/env bash
# Installs the Debian packages the tests drive when they are missing:
# snmp (snmpget, snmpwalk, snmpbulkwalk, snmptable ...), snmpd (benchmark peer),
# smitools (smilint). Needs root when something is missing.
set -euo pipefail
need=()
command -v snmpget >/dev/null 2>&1 || need+=(snmp)
command -v snmpd >/dev/null 2>&1 || [ -x /usr/sbin/snmpd ] || need+=(snmpd)
command -v smilint >/dev/null 2>&1 || need+=(smitools)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "test-deps: installing ${need[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "test-deps: need root to install ${need[*]} (or install them by hand)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian's snmpd package starts a system snmpd on udp 161; tests run their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet snmpd 2>/dev/null; then
  systemctl stop snmpd || true
fi

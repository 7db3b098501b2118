#!/usr/bin/env bash
# Installs the Debian packages the tests drive when they are missing:
# snmp (snmpget, snmpwalk, snmpbulkwalk, snmptable ...), snmpd (benchmark peer),
# smitools (smilint), postfix (the real MTA of the Postfix end-to-end tests, run as a
# private instance on loopback ports: test/helpers/postfix-server.ts), swaks (sends their
# test mail), pflogsumm (cross-check and benchmark peer for the log reader) and
# systemd-journal-remote (writes a journal file for the real journalctl to read),
# snmptrapd (receives the agent's notifications), dovecot-imapd and dovecot-pop3d (IMAP
# and POP3 servers for the probes and the Dovecot source), slapd and ldap-utils (an LDAP
# server for the probes) and monitoring-plugins-basic (check_smtp, check_imap, check_pop,
# check_http: the reference for `madman probe`'s output and exit codes), faketime (runs
# the unit tests with the clock a year ahead and back: scripts/test-dates.sh), m4 (builds the
# test Sendmail's .cf), sma (the Sendmail log analyser: cross-check and benchmark peer of the
# Sendmail log reader), libsendmail-pmilter-perl (a milter for the test Sendmail), chromium
# (the headless browser the status page is tested in, driven by puppeteer-core) and
# prometheus (a real Prometheus server scraping the agent's /metrics, run on loopback in a
# temp dir), and for the operations kit (contrib/): systemd (systemd-analyze verify,
# systemd-notify, systemd-sysusers; no running systemd needed), python3 (stands in for the
# service manager's notify socket), prometheus-snmp-exporter (the exporter and its
# generator, run on our MIBs), monitoring-plugins-standard (check_snmp, used by the
# Nagios/Icinga definitions), nagios4-core and icinga2-bin (nagios4 -v and icinga2 daemon -C
# check those definitions; neither is started), iproute2 (ss: the reload test reads the
# agent socket's receive buffer).
# Sendmail and Exim themselves are never installed (each would remove Postfix):
# scripts/extract-debs.sh downloads sendmail-bin, sendmail-base and sendmail-cf, and
# exim4-base, exim4-config and exim4-daemon-light, and extracts them under
# /var/cache/madman-test/sendmail and /var/cache/madman-test/exim
# (test/helpers/sendmail-server.ts and exim-server.ts run them from there; eximstats, the
# Exim log analyser, comes with exim4-base), and the Debian-exim user the Exim build runs
# as is created. libnet-ssleay-perl lets swaks speak STARTTLS to the test Exim.
# Every service these packages would start is kept from starting: tests run their own
# private instances on loopback ports.
# Needs root when something is missing; does nothing (and is quick) when all is there.
set -euo pipefail
need=()
command -v snmpget >/dev/null 2>&1 || need+=(snmp)
command -v snmpd >/dev/null 2>&1 || [ -x /usr/sbin/snmpd ] || need+=(snmpd)
command -v smilint >/dev/null 2>&1 || need+=(smitools)
# postfix and pflogsumm live in /usr/sbin, which a non-root PATH may lack.
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || need+=(postfix)
command -v swaks >/dev/null 2>&1 || need+=(swaks)
command -v pflogsumm >/dev/null 2>&1 || [ -x /usr/sbin/pflogsumm ] || need+=(pflogsumm)
# writes a real journal file, so the journal follower is tested against the real journalctl
[ -x /lib/systemd/systemd-journal-remote ] || need+=(systemd-journal-remote)
command -v snmptrapd >/dev/null 2>&1 || [ -x /usr/sbin/snmptrapd ] || need+=(snmptrapd)
[ -x /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
[ -x /usr/lib/dovecot/pop3 ] || need+=(dovecot-pop3d)
# the Dovecot test helper makes a self-signed certificate for its TLS listeners
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapadd >/dev/null 2>&1 || need+=(ldap-utils)
[ -x /usr/lib/nagios/plugins/check_smtp ] || need+=(monitoring-plugins-basic)
command -v faketime >/dev/null 2>&1 || need+=(faketime)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
[ -x /usr/bin/python3 ] || need+=(python3)
[ -x /usr/bin/prometheus-snmp-generator ] || need+=(prometheus-snmp-exporter)
[ -x /usr/lib/nagios/plugins/check_snmp ] || need+=(monitoring-plugins-standard)
[ -x /usr/sbin/nagios4 ] || need+=(nagios4-core)
[ -x /usr/sbin/icinga2 ] || need+=(icinga2-bin)
command -v ss >/dev/null 2>&1 || [ -x /usr/bin/ss ] || need+=(iproute2)
command -v m4 >/dev/null 2>&1 || need+=(m4)
command -v sma >/dev/null 2>&1 || need+=(sma)
# a real milter for the test Sendmail (Sendmail::PMilter, pure Perl)
perl -MSendmail::PMilter -e1 >/dev/null 2>&1 || need+=(libsendmail-pmilter-perl)
# STARTTLS and AUTH for the test Sendmail: a self-signed certificate, a sasldb (saslpasswd2)
# read by Cyrus SASL's sasldb auxprop plugin, with the PLAIN and LOGIN mechanisms
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v saslpasswd2 >/dev/null 2>&1 || need+=(sasl2-bin)
ls /usr/lib/*/sasl2/libsasldb.so* >/dev/null 2>&1 || need+=(libsasl2-modules-db)
ls /usr/lib/*/sasl2/libplain.so* >/dev/null 2>&1 || need+=(libsasl2-modules)
perl -MNet::SSLeay -e1 >/dev/null 2>&1 || need+=(libnet-ssleay-perl)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || need+=(prometheus)
here=$(cd "$(dirname "$0")" && pwd)
extract_mtas() {
  bash "$here/extract-debs.sh" sendmail sendmail-bin sendmail-base sendmail-cf
  bash "$here/extract-debs.sh" exim exim4-base exim4-config exim4-daemon-light
  # the system user the Debian build of Exim runs as (every exim4 command fails without it)
  if ! getent passwd Debian-exim >/dev/null; then
    getent group Debian-exim >/dev/null || groupadd -r Debian-exim 2>/dev/null || true
    useradd -r -M -d /var/spool/exim4 -s /usr/sbin/nologin -g Debian-exim Debian-exim 2>/dev/null ||
      getent passwd Debian-exim >/dev/null
  fi
}
if [ ${#need[@]} -eq 0 ]; then extract_mtas; exit 0; fi
echo "test-deps: installing ${need[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "test-deps: need root to install ${need[*]} (or install them by hand)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
installing_postfix=no
for p in "${need[@]}"; do [ "$p" = postfix ] && installing_postfix=yes; done
# "No configuration": the postfix package writes no /etc/postfix/main.cf, so its postinst
# starts no system Postfix on port 25. The tests copy /etc/postfix (master.cf,
# postfix-files, dynamicmaps.cf) and write their own main.cf; the helper adds the one line
# it needs (alternate_config_directories) to /etc/postfix/main.cf itself. slapd likewise
# creates no system directory database: the tests write their own slapd.conf.
debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string madman-test.localdomain
slapd slapd/no_configuration boolean true
EOF
# Forbid invoke-rc.d from starting any service during this install (docker-style images
# already ship such a policy; a fresh machine does not).
policy_rc_d_ours=no
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  policy_rc_d_ours=yes
fi
cleanup() { if [ "$policy_rc_d_ours" = yes ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# With systemd, the policy above does not stop units from being enabled: leave none of
# the system services running or enabled; tests run their own.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  for unit in snmpd snmptrapd dovecot slapd prometheus prometheus-snmp-exporter nagios4 icinga2; do
    systemctl disable --now "$unit" >/dev/null 2>&1 || true
  done
fi
if [ "$installing_postfix" = yes ]; then
  # Tests run private instances on their own ports, queues and logs, so a system Postfix
  # would not disturb them; still, leave none running or enabled after our install.
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now postfix >/dev/null 2>&1 || true
  elif [ -f /etc/postfix/main.cf ] && /usr/sbin/postfix status >/dev/null 2>&1; then
    /usr/sbin/postfix stop >/dev/null 2>&1 || true
  fi
fi
extract_mtas

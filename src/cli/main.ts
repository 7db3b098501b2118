#!/usr/bin/env -S node --max-semi-space-size=1
// The `madman` command. The young generation is kept at 1 MiB: V8 grows it to 16 MiB
// under the agent's allocation rate (requests make short-lived garbage only) and never
// gives it back, which was 8-14 MiB of the idle agent's memory; scavenges get shorter
// and more frequent (docs/benchmarks.md, bench:memory and bench:load).

import { Command, Option } from 'commander';
import { VERSION } from '../version.js';
import { countersCommand } from './counters.js';
import '../sources/index.js';
import { sourceDeclarations } from '../sources/registry.js';

// Each command's code is loaded when it runs: the agent's process holds no probe or
// quota code, and `madman probe` none of the agent's.

// `madman mib list | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const program = new Command('madman').version(VERSION).description('SNMP agent for mail systems');
let exitCode = 0;

const many = (v: string, prev: string[] = []) => [...prev, v];
const agent = program
  .command('agent')
  .description('serve NETWORK-SERVICES-MIB, MTA-MIB and MADMAN-MIB over SNMP')
  .option('--config <file>', 'YAML configuration file')
  .option('--listen <addr>', 'listen address, e.g. udp:127.0.0.1:1161 or udp6:[::1]:1161 (repeatable)', many)
  .option('--agentaddress <addr>', 'alias of --listen, as in snmpd.conf (repeatable)', many)
  .option('--community <name>', 'read-only community (added to the configured ones)')
  .option('--state-dir <dir>', 'where row indexes and state are kept');
// each source's own flags, from its declaration (src/sources/registry.ts)
for (const d of sourceDeclarations()) {
  for (const f of d.flags ?? []) {
    if (f.repeatable) agent.option(f.flags, f.description, many);
    else agent.option(f.flags, f.description);
  }
}
agent
  .option('--from-start', 'read logs from their beginning, then follow them')
  .option('--trapsink <host[:port] [community]>', 'send SNMPv1 traps there (repeatable)', many)
  .option('--trap2sink <host[:port] [community]>', 'send SNMPv2c traps there (repeatable)', many)
  .option('--informsink <host[:port] [community]>', 'send SNMPv2c informs there (repeatable)', many)
  .option('--alarm-mail <address>', 'mail alarm notices to this address (SMTP on localhost:25)')
  .option('--agentx [address]', 'serve through an AgentX master: unix:PATH or tcp:HOST:PORT (default: the file\'s agentx, else /var/agentx/master); UDP only with --listen')
  .option('--http <addr>', 'serve /metrics and the status page over HTTP at PORT (loopback), HOST:PORT or [IPv6]:PORT (repeatable)', (v, prev: string[] = []) => [...prev, v])
  .option('--check-config <file>', 'validate a configuration file and exit (2 when bad)')
  .addOption(new Option('-v, --verbose', 'log more (twice for debug)').argParser((_v, prev: number = 0) => prev + 1))
  .action(async (opts) => {
    const { agentCommand } = await import('./agent.js');
    exitCode = await agentCommand(opts);
  });

program
  .command('probe')
  .description('check mail services once, like check_smtp/check_imap (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)')
  .option('--config <file>', 'probe the services of this configuration file')
  .option('--smtp <host:port>', 'an SMTP server (repeatable)', many)
  .option('--submission <host:port>', 'a submission server (repeatable)', many)
  .option('--lmtp <host:port>', 'an LMTP server (repeatable)', many)
  .option('--imap <host:port>', 'an IMAP server (repeatable)', many)
  .option('--pop <host:port>', 'a POP3 server (repeatable)', many)
  .option('--ldap <host:port>', 'an LDAP server (repeatable)', many)
  .option('--http <url>', 'an HTTP(S) URL (repeatable)', many)
  .option('--user <name>', 'log in as (LDAP: the bind DN)')
  .option('--password-file <path>', 'the password, first line of this file')
  .option('-w, --warning <seconds>', 'response time over which the state is WARNING')
  .option('-c, --critical <seconds>', 'response time over which the state is CRITICAL')
  .option('-t, --timeout <seconds>', 'give up after this long (default 10)')
  .option('--tls', 'implicit TLS (smtps, imaps, pop3s, ldaps)')
  .option('--starttls', 'STARTTLS / STLS before logging in')
  .option('--insecure', 'do not verify the server certificate')
  .option('--ca-file <path>', 'trust the CA certificates in this PEM file')
  .option('--from <address>', 'SMTP: envelope sender of a test message')
  .option('--to <address>', 'SMTP: send a test message to this recipient')
  .option('--base <dn>', 'LDAP: search base')
  .option('--filter <filter>', 'LDAP: look up the entry this filter matches, e.g. (uid=tester)')
  .option('--json', 'print the results as JSON')
  .action(async (opts) => {
    const { probeCommand } = await import('./probe.js');
    exitCode = await probeCommand(opts);
  });
countersCommand(program, (code) => (exitCode = code));
program
  .command('quota')
  .description('mailbox quota usage from Dovecot, in the layout of imquotacheck')
  .option('-u, --user <user>', 'one user')
  .option('-d, --domain <domain>', 'the users of one domain')
  .option('--config <file>', 'YAML configuration file (its dovecot: settings)')
  .option('--dovecot-config <path>', 'dovecot.conf for doveadm')
  .option('--doveadm <path>', 'the doveadm executable')
  .option('--over <percent>', 'mark users at or above this percentage (default dovecot.quotaWarnPercent, 90)')
  .action(async (opts) => {
    const { quotaCommand } = await import('./quota.js');
    exitCode = await quotaCommand(opts);
  });

const mib = program.command('mib').description('the MIB modules madman serves');
mib.command('list').description('every object served, with OID and type').action(async () => {
  exitCode = (await import('./mib.js')).mibList();
});
mib.command('path').description('directories to add to MIBDIRS (snmpwalk -M +DIR)').action(async () => {
  exitCode = (await import('./mib.js')).mibPath();
});

try {
  await program.parseAsync();
} catch (err) {
  process.stderr.write(`madman: ${err instanceof Error ? err.message : String(err)}\n`);
  exitCode = 1;
}
process.exitCode = exitCode;

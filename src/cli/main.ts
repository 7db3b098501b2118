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

/**
 * A command whose bad options exit `code` instead of commander's 1, which `madman alarms
 * --raised` uses for "an alarm is raised" and Nagios reads as WARNING.
 */
function usageExit(c: Command, code: number): Command {
  return c
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : code))
    .configureOutput({ outputError: (text, write) => write(`madman ${c.name()}: ${text.replace(/^error: /, '')}`) });
}
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

usageExit(program.command('probe'), 3)
  // a check's bad options are UNKNOWN, told on stdout where Nagios reads the status line
  .configureOutput({ outputError: (text) => void process.stdout.write(`PROBE UNKNOWN - ${text.replace(/^error: /, '')}`) })
  .description('check mail services once, like check_smtp/check_imap (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)')
  .option('--config <file>', 'probe the services of this configuration file')
  .option('--smtp <[user@]host:port[=secs]>', 'an SMTP server, with its own critical threshold (=C or =W,C) (repeatable)', many)
  .option('--submission <[user@]host:port[=secs]>', 'a submission server (repeatable)', many)
  .option('--lmtp <[user@]host:port[=secs]>', 'an LMTP server (repeatable)', many)
  .option('--imap <[user@]host:port[=secs]>', 'an IMAP server (repeatable)', many)
  .option('--pop <[user@]host:port[=secs]>', 'a POP3 server (repeatable)', many)
  .option('--ldap <host:port[=secs]>', 'an LDAP server (repeatable)', many)
  .option('--http <url[=secs]>', 'an HTTP(S) URL (repeatable)', many)
  .option('--user <name>', 'log in as, on IMAP, POP3 and LDAP (the bind DN); on SMTP only if the server offers AUTH')
  .option('--password-file <path>', 'the password, first line of this file')
  .option('--smtp-user <name>', 'SMTP/submission/LMTP: AUTH as this user (required)')
  .option('--smtp-password-file <path>', 'the SMTP user\'s password file')
  .option('--imap-user <name>', 'IMAP: log in as this user')
  .option('--imap-password-file <path>', 'the IMAP user\'s password file')
  .option('--pop-user <name>', 'POP3: log in as this user')
  .option('--pop-password-file <path>', 'the POP3 user\'s password file')
  .option('-w, --warning <seconds>', 'response time over which the state is WARNING (services without their own)')
  .option('-c, --critical <seconds>', 'response time over which the state is CRITICAL (services without their own)')
  .option('-t, --timeout <seconds>', 'give up after this long (default 10)')
  .option('--tls', 'implicit TLS (smtps, imaps, pop3s, ldaps)')
  .option('--starttls', 'STARTTLS / STLS before logging in')
  .option('--insecure', 'do not verify the server certificate')
  .option('--ca-file <path>', 'trust the CA certificates in this PEM file')
  .option('--from <address>', 'SMTP: envelope sender of a test message')
  .option('--to <address>', 'SMTP: send a test message to this recipient')
  .option('--roundtrip', 'send a message by the --smtp server to --to, wait until the --imap/--pop user sees it, fetch and delete it')
  .option('--base <dn>', 'LDAP: search base')
  .option('--filter <filter>', 'LDAP: look up the entry this filter matches, e.g. (uid=tester)')
  .option('--json', 'print the results as JSON')
  .action(async (opts) => {
    const { probeCommand } = await import('./probe.js');
    exitCode = await probeCommand(opts);
  });
countersCommand(program, (code) => (exitCode = code));
// -e's exit 1 is "a notice was not sent"; bad options are 2
usageExit(program.command('quota'), 2)
  .description('mailbox quota usage from Dovecot, in the layout of imquotacheck; -e mails the users over their warning percentage')
  .option('-u, --user <user>', 'one user')
  .option('-d, --domain <domain>', 'the users of one domain')
  .option('--config <file>', 'YAML configuration file (its dovecot: settings)')
  .option('--dovecot-config <path>', 'dovecot.conf for doveadm')
  .option('--doveadm <path>', 'the doveadm executable')
  .option('--over <percent>', 'mark users at or above this percentage (default dovecot.quotaWarnPercent, 90)')
  .option('-e, --email', 'mail each user (and domain) at or above the percentage a notice instead of printing the report')
  .option('-n, --notify', 'the same as -e (imquotacheck 6.3\'s name)')
  .option('--dry-run', 'with -e: print the notices, send none')
  .option('-t, --template <file>', 'with -e: the notice template (Subject: line, blank line, body with %U% %Q% %R% %M% %C%)')
  .action(async (opts) => {
    exitCode = await (await import('./quota.js')).quotaCommand(opts);
  });

/** The options by which `stat` and `alarms` reach the agent (the config file's, by default). */
function agentOptions(c: Command): Command {
  return usageExit(c, 2)
    .option('--config <file>', 'the agent\'s configuration file (default $MADMAN_CONFIG, else /etc/madman/madman.yml if present)')
    .option('--agent <addr>', 'the agent\'s address, e.g. udp:127.0.0.1:1161 (default: its first listen address)')
    .option('--community <name>', 'read with this community (default: the first this host may use)')
    .option('--user <name>', 'read as this SNMPv3 user of the configuration (createUser)')
    .option('-t, --timeout <seconds>', 'wait this long for each answer (default 3)');
}
agentOptions(
  program
    .command('stat [object]')
    .description('counter objects of the running agent, like counterutil -o OBJECT (exit 0 ok, 2 usage, 3 agent not running, 4 credentials refused, 5 object not configured)')
    .option('-i, --interval <seconds>', 'sample every SECS seconds, with the change of each running total')
    .option('-n, --count <count>', 'number of samples (default 1, or until interrupted with -i)')
    .option('-l, --list', 'list the counter objects and how many instances each has (counterutil -l)')
    .option('--json', 'one JSON object per sample, one per line'),
).action(async (object: string | undefined, opts) => {
  exitCode = await (await import('./stat.js')).statCommand(object, opts);
});
agentOptions(
  program
    .command('alarms')
    .description('alarm instances of the running agent and their state (--raised: exit 1 when any is raised)')
    .option('--raised', 'only the raised alarms; exit 1 when there is one, 0 when none')
    .option('--json', 'print JSON'),
).action(async (opts) => {
  exitCode = await (await import('./alarms.js')).alarmsCommand(opts);
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

#!/usr/bin/env node
// The `madman` command.

import { Command, Option } from 'commander';
import { VERSION } from '../agent.js';
import { agentCommand } from './agent.js';
import { mibList, mibPath } from './mib.js';

// `madman mib list | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const program = new Command('madman').version(VERSION).description('SNMP agent for mail systems');
let exitCode = 0;

program
  .command('agent')
  .description('serve NETWORK-SERVICES-MIB, MTA-MIB and MADMAN-MIB over SNMP')
  .option('--config <file>', 'YAML configuration file')
  .option('--listen <addr>', 'listen address, e.g. udp:127.0.0.1:1161 or udp6:[::1]:1161 (repeatable)', (v, prev: string[] = []) => [...prev, v])
  .option('--community <name>', 'read-only community')
  .option('--state-dir <dir>', 'where row indexes and state are kept')
  .option('--demo', 'serve a built-in demo mail system')
  .option('--postfix-log <path>', 'follow this Postfix log file')
  .option('--postfix-journal [unit]', 'follow the systemd journal (optionally of one unit) for Postfix')
  .option('--postfix-queue <command|dir>', 'read the queue with this command, or postqueue -c DIR -j')
  .option('--from-start', 'read logs from their beginning, then follow them')
  .option('--agentx [address]', 'serve through an AgentX master: unix:PATH or tcp:HOST:PORT (default /var/agentx/master); UDP only with --listen')
  .option('--check-config <file>', 'validate a configuration file and exit (2 when bad)')
  .addOption(new Option('-v, --verbose', 'log more (twice for debug)').argParser((_v, prev: number = 0) => prev + 1))
  .action(async (opts) => {
    exitCode = await agentCommand(opts);
  });

const mib = program.command('mib').description('the MIB modules madman serves');
mib.command('list').description('every object served, with OID and type').action(() => {
  exitCode = mibList();
});
mib.command('path').description('directories to add to MIBDIRS (snmpwalk -M +DIR)').action(() => {
  exitCode = mibPath();
});

try {
  await program.parseAsync();
} catch (err) {
  process.stderr.write(`madman: ${err instanceof Error ? err.message : String(err)}\n`);
  exitCode = 1;
}
process.exitCode = exitCode;

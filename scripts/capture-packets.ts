// Records what real Net-SNMP tools send to the agent, as the fuzzer's seeds: an agent
// (with the fuzz user of test/fuzz/corpus.ts) behind a recording UDP relay, and snmpget,
// snmpgetnext, snmpbulkget, snmpwalk, snmpbulkwalk and snmpset, v1, v2c and v3, sent to
// the relay. Writes test/fixtures/snmp-packets/net-snmp.txt ("# tool args", then one
// datagram in hex per line).
//
//   npx tsc -p . && node dist/scripts/capture-packets.js

import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAgent } from '../src/agent.js';
import { defaults, settingsFrom } from '../src/config/config.js';
import { silentLogger } from '../src/log.js';
import { MailSystem } from '../src/model/mail-system.js';
import { CORPUS_FILE, FUZZ_SECURITY_YAML, FUZZ_USER } from '../test/fuzz/corpus.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-capture-'));
const file = path.join(dir, 'madman.yaml');
writeFileSync(file, `${FUZZ_SECURITY_YAML}\n`);
const s = settingsFrom({ config: file });
const model = new MailSystem();
const app = model.addApplication('postfix', { version: '3.7.11' });
for (const name of ['smtpd', 'smtp', 'local']) model.addChannel(app, name, { receivedMessages: 42 });
const agent = await startAgent(
  { ...defaults(), listen: ['udp:127.0.0.1:0'], stateDir: path.join(dir, 'state'), communities: s.communities, security: s.security },
  silentLogger,
  { model },
);
const agentPort = agent.endpoints[0]!.port;

// The relay: datagrams from a tool go to the agent and are recorded; answers go back.
const relay = dgram.createSocket('udp4');
const upstream = dgram.createSocket('udp4');
let client: dgram.RemoteInfo | undefined;
let recorded: Buffer[] = [];
relay.on('message', (m, rinfo) => {
  client = rinfo;
  recorded.push(Buffer.from(m));
  upstream.send(m, agentPort, '127.0.0.1');
});
upstream.on('message', (m) => {
  if (client) relay.send(m, client.port, client.address);
});
await new Promise<void>((r) => relay.bind(0, '127.0.0.1', r));
await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', r));
const target = `127.0.0.1:${relay.address().port}`;

const v3 = ['-v3', '-l', 'authPriv', '-u', FUZZ_USER.name, '-a', FUZZ_USER.auth, '-A', FUZZ_USER.authPass, '-x', FUZZ_USER.priv, '-X', FUZZ_USER.privPass];
const v3auth = ['-v3', '-l', 'authNoPriv', '-u', FUZZ_USER.name, '-a', FUZZ_USER.auth, '-A', FUZZ_USER.authPass];
const runs: Array<[string, string[]]> = [
  ['snmpget', ['-v1', '-c', 'public', target, '1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.3.0']],
  ['snmpget', ['-v2c', '-c', 'public', target, '1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.28.1.1.1.1', '1.3.6.1.2.1.27.1.1.2.1']],
  ['snmpgetnext', ['-v2c', '-c', 'public', target, '1.3.6.1.2.1.28.2.1.25', '1.3.6.1.4.1.32473']],
  ['snmpbulkget', ['-v2c', '-c', 'public', '-Cn1', '-Cr10', target, '1.3.6.1.2.1.1.3', '1.3.6.1.2.1.28.2.1.2', '1.3.6.1.2.1.27.1.1']],
  ['snmpwalk', ['-v1', '-c', 'public', target, '1.3.6.1.2.1.28.1']],
  ['snmpbulkwalk', ['-v2c', '-c', 'public', '-Cr25', target, '1.3.6.1.2.1.27']],
  ['snmpset', ['-v2c', '-c', 'public', target, '1.3.6.1.2.1.1.5.0', 's', 'mx.example.test']],
  ['snmpget', ['-v2c', '-c', 'wrong', target, '1.3.6.1.2.1.1.5.0']],
  ['snmpget', [...v3, target, '1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.28.1.1.6.1']],
  ['snmpbulkget', [...v3, '-Cr8', target, '1.3.6.1.2.1.28.2.1']],
  ['snmpwalk', [...v3auth, target, '1.3.6.1.2.1.1']],
];

const out: string[] = [
  '# Datagrams sent by Net-SNMP tools to madman, recorded by scripts/capture-packets.ts (fuzzer seeds).',
  `# SNMPv3 user ${FUZZ_USER.name} (${FUZZ_USER.auth}/${FUZZ_USER.priv}, pass phrases in test/fuzz/corpus.ts).`,
];
try {
  for (const [tool, args] of runs) {
    recorded = [];
    await new Promise<void>((resolve) => execFile(tool, ['-t', '2', '-r', '0', '-On', ...args], () => resolve()));
    // a walk sends many GETNEXTs: keep the first few
    const label = `${tool} ${args.filter((a) => a !== target && !a.startsWith('fuzzer ')).join(' ')}`;
    out.push(`# ${label.replace(FUZZ_USER.authPass, 'AUTHPASS').replace(FUZZ_USER.privPass, 'PRIVPASS')}`);
    for (const m of recorded.slice(0, 6)) out.push(m.toString('hex'));
    console.log(`${label}: ${recorded.length} datagrams`);
  }
} finally {
  relay.close();
  upstream.close();
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
}
mkdirSync(path.dirname(CORPUS_FILE), { recursive: true });
writeFileSync(CORPUS_FILE, `${out.join('\n')}\n`);
console.log(`wrote ${CORPUS_FILE}`);

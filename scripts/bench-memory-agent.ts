// madman for the memory benchmark, in a process of its own: the demo mail system, or a
// big one (N channels, A associations, Q quota rows), served on a free loopback port as
// the CLI serves it. Prints one JSON line when listening ({"port":…}), then, for each
// line read on stdin, one JSON line of its memory after a full GC (the flag is set at
// run time) and without: RSS, heap used and total, external.
//
//   node dist/scripts/bench-memory-agent.js demo STATE_DIR
//   node dist/scripts/bench-memory-agent.js big STATE_DIR CHANNELS ASSOCIATIONS QUOTAS

import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startAgent } from '../src/agent.js';
import { defaults } from '../src/config/config.js';
import { createLogger } from '../src/log.js';
import { MailSystem } from '../src/model/mail-system.js';
import { fillModel } from './bench-rows.js';

const [kind, stateDir, channels = '10000', associations = '5000', quotas = '100000'] = process.argv.slice(2);
if (!stateDir || (kind !== 'demo' && kind !== 'big')) {
  console.error('usage: bench-memory-agent demo|big STATE_DIR [CHANNELS ASSOCIATIONS QUOTAS]');
  process.exit(2);
}

function bigModel(): MailSystem {
  const model = new MailSystem();
  const app = fillModel(model, Number(channels));
  const now = Date.now();
  for (let i = 0; i < Number(associations); i++) {
    model.openAssociation(app, { remoteApplication: `198.51.100.${i % 250}`, type: i % 2 ? 'peerresponder' : 'peerinitiator', startedAt: now - i * 1000, channel: 1 + (i % Number(channels)) });
  }
  for (let i = 1; i <= Number(quotas); i++) {
    model.quotas.set(i, { index: i, user: `user${i}@example.test`, storageKb: (i * 37) % 1000, storageLimitKb: 1024, messages: i % 500, messageLimit: 1000, readAt: now, over: false });
  }
  return model;
}

const settings = { ...defaults(), listen: ['udp:127.0.0.1:0'], stateDir, demo: kind === 'demo' };
const agent = await startAgent(settings, createLogger('warn'), kind === 'big' ? { model: bigModel() } : {});
console.log(JSON.stringify({ port: agent.endpoints[0]!.port }));

const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
function figures(gc: boolean) {
  if (gc) {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  }
  const m = process.memoryUsage();
  return { rss: mib(m.rss), heapUsed: mib(m.heapUsed), heapTotal: mib(m.heapTotal), external: mib(m.external) };
}

const rl = createInterface({ input: process.stdin });
rl.on('line', () => console.log(JSON.stringify({ before: figures(false), afterGc: figures(true) })));
rl.on('close', () => void agent.stop().then(() => process.exit(0)));
process.once('SIGTERM', () => void agent.stop().then(() => process.exit(0)));

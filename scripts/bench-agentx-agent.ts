// madman as AgentX subagent for the AgentX benchmark, in a process of its own: serves N
// synthetic mtaGroupTable rows through the master at MADMAN_BENCH_AGENTX (no UDP port).
// Prints one JSON line once every subtree is registered: {"port":0,"fillMs":…,"startMs":…}.
// Stops on SIGTERM/SIGINT or when its stdin closes.
//
//   MADMAN_BENCH_AGENTX=unix:PATH node dist/scripts/bench-agentx-agent.js ROWS STATE_DIR

import { startAgent } from '../src/agent.js';
import { defaults } from '../src/config/config.js';
import { silentLogger } from '../src/log.js';
import { MailSystem } from '../src/model/mail-system.js';
import { fillModel } from './bench-rows.js';

const rows = Number(process.argv[2]);
const stateDir = process.argv[3];
const agentx = process.env.MADMAN_BENCH_AGENTX;
if (!Number.isInteger(rows) || rows < 1 || !stateDir || !agentx) {
  console.error('usage: MADMAN_BENCH_AGENTX=unix:PATH bench-agentx-agent ROWS STATE_DIR');
  process.exit(2);
}

let t0 = process.hrtime.bigint();
const model = new MailSystem();
fillModel(model, rows);
const fillMs = Number(process.hrtime.bigint() - t0) / 1e6;
t0 = process.hrtime.bigint();
const agent = await startAgent({ ...defaults(), listen: [], stateDir, agentx }, silentLogger, { model });
const session = agent.agentx!.session;
if (!session.ready) await new Promise<void>((r) => session.once('ready', () => r()));
const startMs = Number(process.hrtime.bigint() - t0) / 1e6;

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await agent.stop();
  process.exit(0);
}
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.stdin.resume();

console.log(JSON.stringify({ port: 0, fillMs, startMs }));

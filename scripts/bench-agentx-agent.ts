// madman as AgentX subagent for the AgentX benchmark, in a process of its own: serves N
// synthetic mtaGroupTable rows through the master at MADMAN_BENCH_AGENTX (no UDP port).
// Prints one JSON line once every subtree is registered: {"port":0,"fillMs":…,"startMs":…}.
// Stops on SIGTERM/SIGINT or when its stdin closes.
//
//   MADMAN_BENCH_AGENTX=unix:PATH node dist/scripts/bench-agentx-agent.js ROWS STATE_DIR

import { startAgent } from '../src/agent.js';
import { defaults } from '../src/config/config.js';
import { silentLogger } from '../src/log.js';
import { filledModel, msSince, stopWithBenchmark } from './bench-agent-process.js';

const rows = Number(process.argv[2]);
const stateDir = process.argv[3];
const agentx = process.env.MADMAN_BENCH_AGENTX;
if (!Number.isInteger(rows) || rows < 1 || !stateDir || !agentx) {
  console.error('usage: MADMAN_BENCH_AGENTX=unix:PATH bench-agentx-agent ROWS STATE_DIR');
  process.exit(2);
}

const { model, fillMs } = filledModel(rows);
const t0 = process.hrtime.bigint();
const agent = await startAgent({ ...defaults(), listen: [], stateDir, agentx }, silentLogger, { model });
const session = agent.agentx!.session;
if (!session.ready) await new Promise<void>((r) => session.once('ready', () => r()));
const startMs = msSince(t0);
stopWithBenchmark(agent);

console.log(JSON.stringify({ port: 0, fillMs, startMs }));

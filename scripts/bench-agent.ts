// madman for the walk benchmark, in a process of its own (like snmpd): serves N synthetic
// mtaGroupTable rows on a free loopback port. Prints one JSON line when listening:
// {"port":…,"fillMs":…,"startMs":…}. Stops on SIGTERM/SIGINT or when its stdin closes
// (the benchmark went away), and removes nothing but what it was given to use.
//
//   node dist/scripts/bench-agent.js ROWS STATE_DIR

import { startAgent } from '../src/agent.js';
import { defaults } from '../src/config/config.js';
import { silentLogger } from '../src/log.js';
import { filledModel, msSince, stopWithBenchmark } from './bench-agent-process.js';

const rows = Number(process.argv[2]);
const stateDir = process.argv[3];
if (!Number.isInteger(rows) || rows < 1 || !stateDir) {
  console.error('usage: bench-agent ROWS STATE_DIR');
  process.exit(2);
}

const { model, fillMs } = filledModel(rows);
const t0 = process.hrtime.bigint();
const agent = await startAgent({ ...defaults(), listen: ['udp:127.0.0.1:0'], stateDir }, silentLogger, { model });
const startMs = msSince(t0);
stopWithBenchmark(agent);

console.log(JSON.stringify({ port: agent.endpoints[0]!.port, fillMs, startMs }));

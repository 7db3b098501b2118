// The fuzzer: `npm run fuzz -- --count N --seed S [--target snmp,agentx,config]`.
// Structure-aware mutations of real Net-SNMP datagrams against the UDP agent (plain and
// keyed SNMPv3), of AgentX PDUs from a master against the subagent, and of config files
// (settings, secrets, views) against the config reader. Prints each target's figures and
// every violation; exits 1 if there was any. The test suite runs a short fixed-seed
// run of each (test/e2e/fuzz.test.ts).

import { parseArgs } from 'node:util';
import { fuzzAgentx } from '../test/fuzz/agentx-target.js';
import { fuzzConfig } from '../test/fuzz/config-target.js';
import { fuzzSnmp, type FuzzReport } from '../test/fuzz/snmp-target.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '5000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    target: { type: 'string', default: 'snmp,agentx,config' },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
const targets = values.target.split(',');
const runs: Record<string, (o: { count: number; seed: number; progress?: (l: string) => void }) => Promise<FuzzReport>> = {
  snmp: fuzzSnmp,
  agentx: fuzzAgentx,
  config: fuzzConfig,
};

let failed = false;
console.log(`# fuzz: count ${count} per target, seed ${seed}`);
for (const t of targets) {
  const run = runs[t];
  if (!run) throw new Error(`no target ${t} (snmp, agentx, config)`);
  const t0 = performance.now();
  const r = await run({ count, seed, progress: (l) => console.log(`  ${l}`) });
  const s = (performance.now() - t0) / 1000;
  console.log(`${t}: ${r.cases} cases in ${s.toFixed(1)} s, ${r.answered} answered, heap ${r.heapGrowthMiB >= 0 ? '+' : ''}${r.heapGrowthMiB.toFixed(1)} MiB, ${r.violations.length} violations`);
  if (r.detail) console.log(`  ${Object.entries(r.detail).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  for (const v of r.violations.slice(0, 20)) console.log(`  VIOLATION ${v}`);
  if (r.violations.length) failed = true;
}
process.exitCode = failed ? 1 : 0;

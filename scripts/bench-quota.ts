// Quota benchmark: refreshing and walking 100,000 quota rows.
//
//   npm run bench:quota -- [--users N] [--repeat K]
//
// The agent runs in this process with the Dovecot source, whose doveadm is a stand-in script
// that prints a generated `doveadm -f tab quota get -A` output of N users (2 lines each): what
// is measured is madman's side (streamed parse, the one-step swap into the model), not
// doveadm's. Figures:
//   - refresh time: first refresh (every row added) and later refreshes (every value changed);
//   - the longest event-loop stall during a refresh (perf_hooks.monitorEventLoopDelay), i.e.
//     how long a request could wait behind it;
//   - walk time of madmanQuotaTable (N x 8 varbinds) with the real snmpbulkwalk, idle and while
//     a refresh runs, against mtaGroupTable with as many varbinds in the same process (N/4 rows x
//     33 columns) as the reference "any other table".

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startAgent } from '../src/agent.js';
import { defaults } from '../src/config/config.js';
import { dovecotDefaults } from '../src/sources/dovecot/config.js';
import { silentLogger } from '../src/log.js';
import { MailSystem } from '../src/model/mail-system.js';
import type { DovecotSource } from '../src/sources/dovecot/source.js';
import { bulkwalkArgs, countWalk, median, runToFiles } from './bench-procs.js';

const { values } = parseArgs({ options: { users: { type: 'string', default: '100000' }, repeat: { type: 'string', default: '3' } } });
const USERS = Number(values.users);
const REPEAT = Number(values.repeat);
const QUOTA_TABLE = '.1.3.6.1.4.1.32473.1.7.1';
const GROUP_TABLE = '.1.3.6.1.2.1.28.2';

const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-quota-'));
const tsv = path.join(dir, 'quota.tsv');
const fake = path.join(dir, 'doveadm');
writeFileSync(fake, `#!/bin/sh\nexec cat ${tsv}\n`);
chmodSync(fake, 0o755);

function writeOutput(round: number): void {
  const parts: string[] = ['Username\tQuota name\tType\tValue\tLimit\t%\n'];
  for (let i = 0; i < USERS; i++) {
    const kb = (i * 7 + round * 13) % 1024;
    const msgs = (i + round) % 100;
    parts.push(`user${i}@domain${i % 50}.test\tUser quota\tSTORAGE\t${kb}\t1024\t${Math.floor((kb * 100) / 1024)}\n`);
    parts.push(`user${i}@domain${i % 50}.test\tUser quota\tMESSAGE\t${msgs}\t100\t${msgs}\n`);
  }
  writeFileSync(tsv, parts.join(''));
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function main(): Promise<void> {
  const model = new MailSystem();
  // the reference table: as many mtaGroupTable varbinds as the quota table has
  const app = model.addApplication('bench MTA');
  for (let i = 0; i < Math.round((USERS * 8) / 33); i++) model.addChannel(app, `channel ${i}`);
  const agent = await startAgent(
    { ...defaults(), listen: ['udp:127.0.0.1:0'], stateDir: dir, dovecot: { ...dovecotDefaults(), doveadm: fake, quotaInterval: 86400, whoInterval: 0 } },
    silentLogger,
    { model },
  );
  const ep = agent.endpoints[0]!;
  const target = `${ep.address}:${ep.port}`;
  const source = agent.sources.find((s) => s.name === 'dovecot') as DovecotSource;
  const input = [...model.inputs.values()].find((i) => i.name === 'dovecot quotas')!;

  const refresh = async (round: number) => {
    writeOutput(round);
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const t0 = process.hrtime.bigint();
    await source.quotas(input);
    const took = ms(t0);
    h.disable();
    if (!input.ok || model.quotas.size !== USERS) throw new Error(`refresh failed: ${input.reason} (${model.quotas.size} rows)`);
    return { ms: took, maxStallMs: h.max / 1e6 };
  };
  const walk = async (oid: string, expect: number) => {
    const out = path.join(dir, 'walk.out');
    const e = await runToFiles('snmpbulkwalk', bulkwalkArgs(target, oid), out, path.join(dir, 'walk.err'), 15 * 60 * 1000);
    const n = countWalk(out, oid).varbinds;
    if (e.code !== 0 || n !== expect) throw new Error(`walk of ${oid}: exit ${e.code}, ${n} varbinds, expected ${expect}`);
    return e.ms;
  };

  // the machine's own stalls (other processes, GC of the setup): the event loop idle for 2 s
  const idle = monitorEventLoopDelay({ resolution: 5 });
  idle.enable();
  await new Promise((r) => setTimeout(r, 2000));
  idle.disable();
  const baselineStallMs = idle.max / 1e6;

  // the first refresh happened at start (86400 s interval): time it again from empty
  for (const k of [...model.quotas.keys()]) model.quotas.delete(k);
  const first = await refresh(1);
  const later: Array<{ ms: number; maxStallMs: number }> = [];
  for (let r = 0; r < REPEAT; r++) later.push(await refresh(r + 2));

  const quotaVarbinds = USERS * 8;
  const groupVarbinds = app.mta!.channels.size * 33;
  await walk(QUOTA_TABLE, quotaVarbinds); // warm-up
  await walk(GROUP_TABLE, groupVarbinds);
  const quotaWalks: number[] = [];
  const groupWalks: number[] = [];
  for (let r = 0; r < REPEAT; r++) {
    quotaWalks.push(await walk(QUOTA_TABLE, quotaVarbinds));
    groupWalks.push(await walk(GROUP_TABLE, groupVarbinds));
  }
  // a walk with a refresh running at the same time
  writeOutput(99);
  const busy = walk(QUOTA_TABLE, quotaVarbinds);
  const during = await refresh(99);
  const busyWalk = await busy;

  await agent.stop();
  const q = median(quotaWalks);
  const g = median(groupWalks);
  const rate = (n: number, t: number) => Math.round(n / (t / 1000)).toLocaleString('en-US');
  console.log(`users: ${USERS.toLocaleString('en-US')}`);
  console.log(`longest event-loop stall with nothing to do (2 s): ${baselineStallMs.toFixed(1)} ms; load average ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(`first refresh (all rows added):  ${first.ms.toFixed(0)} ms, longest event-loop stall ${first.maxStallMs.toFixed(1)} ms`);
  console.log(`later refreshes (values changed): median ${median(later.map((l) => l.ms)).toFixed(0)} ms, longest stall ${Math.max(...later.map((l) => l.maxStallMs)).toFixed(1)} ms`);
  console.log(`walk madmanQuotaTable: ${quotaVarbinds.toLocaleString('en-US')} varbinds, median ${(q / 1000).toFixed(3)} s, ${rate(quotaVarbinds, q)}/s`);
  console.log(`walk mtaGroupTable:    ${groupVarbinds.toLocaleString('en-US')} varbinds, median ${(g / 1000).toFixed(3)} s, ${rate(groupVarbinds, g)}/s`);
  console.log(`walk madmanQuotaTable during a refresh: ${(busyWalk / 1000).toFixed(3)} s (refresh ${during.ms.toFixed(0)} ms, stall ${during.maxStallMs.toFixed(1)} ms)`);
  console.log(JSON.stringify({ users: USERS, baselineStallMs, firstRefreshMs: first.ms, laterRefreshMs: later.map((l) => l.ms), maxStallMs: Math.max(first.maxStallMs, ...later.map((l) => l.maxStallMs)), quotaWalkMs: quotaWalks, groupWalkMs: groupWalks, busyWalkMs: busyWalk }));
}

try {
  execFileSync('snmpbulkwalk', ['-V'], { stdio: 'ignore' });
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

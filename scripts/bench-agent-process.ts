// What the two madman benchmark processes (bench-agent.ts over UDP, bench-agentx-agent.ts
// as AgentX subagent) share: the timed filling of the synthetic model, and stopping when
// the benchmark says so or goes away.

import type { RunningAgent } from '../src/agent.js';
import { MailSystem } from '../src/model/mail-system.js';
import { fillModel } from './bench-rows.js';

/** Milliseconds since `t0` (a process.hrtime.bigint()). */
export function msSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** A model with `rows` synthetic mtaGroupTable rows, and how long filling it took. */
export function filledModel(rows: number): { model: MailSystem; fillMs: number } {
  const t0 = process.hrtime.bigint();
  const model = new MailSystem();
  fillModel(model, rows);
  return { model, fillMs: msSince(t0) };
}

/** Stops the agent and exits on SIGTERM/SIGINT or when stdin closes (the benchmark went away). */
export function stopWithBenchmark(agent: RunningAgent): void {
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
}

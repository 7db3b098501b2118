// One timed read of a generated log by the kit's LogSource, shared by the ingest benchmarks
// (bench-ingest, bench-sun-ingest, bench-sendmail-ingest): wall and CPU time from follow()
// to the reader's last line, then the source stopped and its state directory removed.

import { rmSync } from 'node:fs';

/** What the benchmarks drive: a LogSource (follow, stop). */
export interface FollowedSource {
  follow(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Follows `tail` until `finished` (the reader's last line) and returns wall time and CPU
 * time (user + system, all threads: it says more than wall time on a busy machine), in ms.
 */
export async function timedRead(tail: FollowedSource, finished: Promise<void>, stateDir: string): Promise<{ ms: number; cpuMs: number }> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await tail.follow();
  await finished;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await tail.stop();
  rmSync(stateDir, { recursive: true, force: true });
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

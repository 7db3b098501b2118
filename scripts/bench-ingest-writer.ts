// The writer of the live-tail part of bench-ingest.ts, run as a child process:
//
//   node dist/scripts/bench-ingest-writer.js FILE RATE SECONDS SEED
//
// Appends RATE lines per second to FILE for SECONDS seconds, in small writes of whole
// lines about every millisecond, and stamps each line with the wall clock time of its
// write as an RFC 3339 timestamp (as rsyslog writes them), so that the reader's lag is
// the time it applied the line minus that timestamp. The lines are those of the
// synthetic log (bench-ingest-gen.ts). Prints {"lines":N,"ms":T} when done.

import { closeSync, openSync, writeSync } from 'node:fs';
import { PostfixLogGenerator } from './bench-ingest-gen.js';

const p2 = (n: number): string => (n < 10 ? '0' : '') + n;

/** `2026-11-29T18:38:46.123000+00:00`, local time with its offset */
function rfc3339(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const abs = Math.abs(off);
  const zone = `${off < 0 ? '-' : '+'}${p2(Math.floor(abs / 60))}:${p2(abs % 60)}`;
  const frac = String(d.getMilliseconds()).padStart(3, '0');
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${frac}000${zone}`;
}

async function main(): Promise<void> {
  const [file, rateArg, secondsArg, seedArg] = process.argv.slice(2);
  const rate = Number(rateArg);
  const seconds = Number(secondsArg);
  if (!file || !(rate > 0) || !(seconds > 0)) throw new Error('usage: bench-ingest-writer FILE RATE SECONDS [SEED]');
  const total = Math.round(rate * seconds);
  const gen = new PostfixLogGenerator({ messages: Math.ceil(total / 4) + 100, seed: Number(seedArg ?? 7) });
  const it = gen.entries();
  const fd = openSync(file, 'a');
  const t0 = Date.now();
  let written = 0;
  while (written < total) {
    const now = Date.now();
    const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000));
    if (due > written) {
      const stamp = `${rfc3339(now)} mx1 `;
      let chunk = '';
      for (; written < due; written++) {
        const e = it.next();
        if (e.done) throw new Error('the generator ran out of lines');
        chunk += `${stamp}${e.value.body}\n`;
      }
      writeSync(fd, chunk);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  closeSync(fd);
  process.stdout.write(`${JSON.stringify({ lines: written, ms: Date.now() - t0 })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-ingest-writer: ${(err as Error).message}\n`);
  process.exit(1);
});

// What every probe shares: a deadline (a check never outlives its timeout), a clock
// that times named phases, and the outcome a probe hands back.

import { readFile, stat } from 'node:fs/promises';
import type { PhaseTime } from '../../model/checks.js';

export interface ProbeOutcome {
  ok: boolean;
  phases: PhaseTime[];
  /** wall time of the whole check, ms */
  totalMs: number;
  /** why it failed: "<phase>: <what happened>" ('' when ok) */
  reason: string;
  /** product and version from the banner, when it says */
  version?: string;
  /** a short line on what the server answered (the greeting, "HTTP 200 OK", "1 entry") */
  detail?: string;
}

export class TimeoutError extends Error {}

/** The end of a check. Each wait takes at most what is left of it. */
export class Deadline {
  private readonly end: number;
  constructor(readonly timeoutMs: number) {
    this.end = performance.now() + timeoutMs;
  }
  remaining(): number {
    return Math.max(0, this.end - performance.now());
  }
  /** `p`, or a TimeoutError when the deadline passes first; `onTimeout` cleans up (closes the socket). */
  race<T>(p: Promise<T>, what: string, onTimeout?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const left = this.remaining();
      const timer = setTimeout(() => {
        onTimeout?.();
        reject(new TimeoutError(`no answer ${what} within ${fmtSeconds(this.timeoutMs)} s`));
      }, left);
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }
}

function fmtSeconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/** Times phases; the first failure names the phase it happened in. */
export class PhaseClock {
  readonly phases: PhaseTime[] = [];
  private readonly t0 = performance.now();
  current = 'connect';

  async phase<T>(name: string, f: () => Promise<T>): Promise<T> {
    this.current = name;
    const t = performance.now();
    const v = await f();
    this.phases.push({ name, ms: performance.now() - t });
    return v;
  }

  elapsed(): number {
    return performance.now() - this.t0;
  }

  ok(extra: Partial<ProbeOutcome> = {}): ProbeOutcome {
    return { ok: true, phases: this.phases, totalMs: this.elapsed(), reason: '', ...extra };
  }

  failed(err: unknown, extra: Partial<ProbeOutcome> = {}): ProbeOutcome {
    // what a server sent may be binary: the reason is shown as text (SnmpAdminString, a terminal)
    const text = errorText(err).replace(/[^\x20-\x7e]/g, '?');
    return { ok: false, phases: this.phases, totalMs: this.elapsed(), reason: `${this.current}: ${text}`, ...extra };
  }
}

/** A one-line description of an error, with the system's code when it has one. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  const msg = err.message.split('\n')[0]!.trim();
  if (code && !msg.includes(code)) return `${msg} (${code})`;
  return msg;
}

/** The password, first line of its file (read at each check, so a changed file is seen). */
export async function readPassword(file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    // a FIFO would hold a thread of the pool until some writer came along
    if (!(await stat(file)).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    return (await readFile(file, 'utf8')).split(/\r?\n/)[0] ?? '';
  } catch (err) {
    throw new Error(`cannot read password file ${file}: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
  }
}

/** "Product 1.2.3" from a banner or header, when it names a version. */
export function versionFrom(banner: string): string | undefined {
  const m = /([A-Za-z][\w.-]*)[ /]v?(\d+(?:\.\d+)+[\w.-]*)/.exec(banner);
  return m ? `${m[1]} ${m[2]}` : undefined;
}

// kill -9 and restart rounds for the log sources (issue 3 §4, issue 14): madman runs as a
// child process (`madman agent ... --state-dir DIR`) following a log the test appends to; it
// is SIGKILLed at a random moment in several rounds and restarted with the same state
// directory, across rename and copytruncate rotations done while it runs and while it is
// down. `counters()` reads what an agent serves, time columns left out, so that a test can
// compare it with one uninterrupted in-process reading of the same lines.

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { MIB_OPTS, ROOT, snmp } from './harness.js';

const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Columns that hold times (relative to the agent's start or to now): not comparable. */
const TIME_COLUMNS = new Set([
  'applUptime', 'applLastChange', 'applLastInboundActivity', 'applLastOutboundActivity',
  'mtaGroupOldestMessageStored', 'mtaGroupLastInboundActivity', 'mtaGroupLastOutboundActivity',
  'mtaGroupLastOutboundAssociationAttempt', 'mtaGroupScheduledRetry', 'mtaGroupCreationTime',
]);

/** snmpwalk -OsUt of one table: "column.index" -> "TYPE: value", time columns left out. */
async function walk(target: string, table: string): Promise<Map<string, string>> {
  const r = await snmp('snmpwalk', [...MIB_OPTS, '-OsUt', target, table]);
  expect(r.code, `snmpwalk ${table}: ${r.stderr}`).to.equal(0);
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\w+)\.(\S+) = (.*)$/.exec(line);
    if (m && !TIME_COLUMNS.has(m[1]!)) out.set(`${m[1]}.${m[2]}`, m[3]!);
  }
  return out;
}

/**
 * What must agree: every non-time column of these tables, and the open associations minus
 * their indexes. Groups are named by application index and mtaGroupName, not by their
 * index: a source reading several logs at once (Exim's mainlog and paniclog) may meet its
 * groups in another order than one reading of the same lines.
 */
export async function counters(target: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const names = new Map<string, string>();
  for (const [k, v] of await walk(target, 'mtaGroupName')) names.set(k.slice(k.indexOf('.') + 1), v.replace(/^STRING: /, ''));
  /** `column.app.group[.rest]` -> `column.app.<name>[.rest]` */
  const byName = (k: string) => {
    const [col, app, g, ...rest] = k.split('.');
    const name = names.get(`${app}.${g}`);
    return name === undefined ? k : [col, app, `<${name}>`, ...rest].join('.');
  };
  for (const t of ['applTable', 'mtaTable']) for (const [k, v] of await walk(target, t)) out[k] = v;
  for (const t of ['mtaGroupTable', 'mtaGroupErrorTable']) for (const [k, v] of await walk(target, t)) out[byName(k)] = v;
  // association indexes are handed out again after a restart; the sessions themselves must agree
  const assoc = new Map<string, Record<string, string>>();
  for (const [k, v] of await walk(target, 'assocTable')) {
    const [col, app, idx] = k.split('.') as [string, string, string];
    const row = assoc.get(`${app}.${idx}`) ?? {};
    row[col] = v;
    assoc.set(`${app}.${idx}`, row);
  }
  const sessions = [...assoc].map(([k, r]) => `${k.split('.')[0]} ${r.assocRemoteApplication} ${r.assocApplicationProtocol} ${r.assocApplicationType}`);
  sessions.sort().forEach((s, i) => (out[`session ${i}`] = s));
  const perGroup = new Map<string, number>();
  for (const k of (await walk(target, 'mtaGroupAssociationTable')).keys()) {
    const g = byName(k).split('.').slice(1, 3).join('.');
    perGroup.set(g, (perGroup.get(g) ?? 0) + 1);
  }
  for (const [g, n] of perGroup) out[`mtaGroupAssociationTable rows ${g}`] = String(n);
  return out;
}

/** The keys on which `got` and `want` differ, with both values. */
export function diff(got: Record<string, string>, want: Record<string, string>): string[] {
  return [...new Set([...Object.keys(got), ...Object.keys(want)])].filter((k) => got[k] !== want[k]).map((k) => `${k}: ${got[k]} (uninterrupted: ${want[k]})`);
}

export interface Child {
  proc: ChildProcess;
  target: string;
  stderr: string[];
  exited: Promise<number | null>;
}

export interface RoundsOptions {
  /** the state directory the agents share */
  stateDir: string;
  /** the log the test appends to and rotates */
  file: string;
  /** the checkpoint's name in the state directory (`postfix` for postfix.json) */
  checkpoint: string;
  /** `madman agent` arguments besides --listen, --state-dir and --from-start */
  args: string[];
  rand: () => number;
}

/** A checkpoint as far as the rounds look at it. */
export interface RoundCheckpoint {
  lines?: number;
  position?: object;
}

/** The agents started, the lines appended, the rounds run; `notes` says what happened (for failure messages). */
export class Rounds {
  readonly children = new Set<Child>();
  readonly notes: string[] = [];
  lines: string[] = [];
  /** lines[next] is the next line to append */
  next = 0;
  /** set by stop(): loops still running after a failure stop */
  aborted = false;
  /** called after each appended chunk, with the number of lines written so far (a test adds side-log lines) */
  onAppend?: (written: number) => void;

  constructor(private readonly o: RoundsOptions) {}

  why(seed: number): string {
    return `seed ${seed}; ${this.notes.join('; ')}`;
  }

  /** Kills every agent left. */
  async stop(): Promise<void> {
    this.aborted = true;
    for (const c of this.children) c.proc.kill('SIGKILL');
    await Promise.all([...this.children].map((c) => c.exited));
  }

  async startChild(fromStart: boolean): Promise<Child> {
    const args = [MAIN, 'agent', '--listen', 'udp:127.0.0.1:0', '--state-dir', this.o.stateDir, ...this.o.args, ...(fromStart ? ['--from-start'] : [])];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const child: Child = { proc, target: '', stderr, exited };
    this.children.add(child);
    void exited.then(() => this.children.delete(child));
    child.target = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on udp4?:(127\.0\.0\.1):(\d+)/.exec(out);
        if (m) resolve(`${m[1]}:${m[2]}`);
      });
      void exited.then((code) => reject(new Error(`madman exited (${code}) before listening: ${stderr.join('')}`)));
    });
    return child;
  }

  checkpoint<T extends RoundCheckpoint>(): T | undefined {
    const f = path.join(this.o.stateDir, `${this.o.checkpoint}.json`);
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as T) : undefined;
  }

  /** Until the checkpoint's position is in the file now at the log's path (the follower is on the live file). */
  async onLiveFile(): Promise<void> {
    const deadline = Date.now() + 15000;
    while (!this.aborted) {
      const pos = this.checkpoint()?.position as { ino?: number } | undefined;
      if (pos && 'ino' in pos && pos.ino === statSync(this.o.file).ino) return;
      if (Date.now() > deadline) throw new Error(`the checkpoint never reached ${this.o.file}: ${JSON.stringify(pos)} (${this.notes.join('; ')})`);
      await sleep(20);
    }
  }

  append(n: number): void {
    const chunk = this.lines.slice(this.next, Math.min(this.lines.length, this.next + n));
    this.next += chunk.length;
    if (chunk.length) appendFileSync(this.o.file, `${chunk.join('\n')}\n`);
    this.onAppend?.(this.next);
  }

  /** Appends up to `upTo` in small random chunks; `rotate` runs (once the follower is on the live file) halfway. */
  async appendSlowly(upTo: number, rotate?: () => void): Promise<void> {
    const half = this.next + Math.floor((upTo - this.next) / 2);
    while (this.next < upTo && !this.aborted) {
      if (rotate && this.next >= half) {
        await this.onLiveFile();
        if (this.aborted) return;
        rotate();
        rotate = undefined;
      }
      this.append(Math.min(upTo - this.next, 1 + Math.floor(this.o.rand() * 40)));
      await sleep(5 + Math.floor(this.o.rand() * 50)); // a round's lines take one to two seconds
    }
  }

  /** One run: start, append while it runs (with a rotation halfway), SIGKILL at a random moment once it is on the live file. */
  async round(name: string, opts: { fromStart?: boolean; upTo: number; rotate?: () => void }): Promise<void> {
    const child = await this.startChild(opts.fromStart ?? false);
    let rotated = !opts.rotate;
    const rotate = opts.rotate;
    const appending = this.appendSlowly(opts.upTo, rotate && (() => {
      rotate();
      rotated = true;
    }));
    await sleep(100 + Math.floor(this.o.rand() * 300));
    while (!rotated && !this.aborted) await Promise.race([sleep(10), appending]); // the rotation happens while it runs
    await this.onLiveFile();
    await sleep(Math.floor(this.o.rand() * 1200));
    const at = this.next;
    child.proc.kill('SIGKILL');
    expect(await child.exited, `${name}: killed`).to.equal(null);
    await appending; // the rest of this round's lines are written while madman is down
    const cp = this.checkpoint<RoundCheckpoint & { side?: Record<string, { lines: number }> }>()!;
    const saved = cp.lines!;
    const sides = Object.entries(cp.side ?? {}).map(([k, v]) => `, ${k} ${v.lines}`).join('');
    this.notes.push(`${name}: killed with ${at} lines written, checkpoint at ${saved}${sides}`);
    expect(saved, `${name}: ${this.notes.join('; ')}`).to.be.at.most(at);
  }

  readonly renameRotation = (): void => {
    const file = this.o.file;
    if (existsSync(`${file}.1`)) renameSync(`${file}.1`, `${file}.2`);
    renameSync(file, `${file}.1`);
    writeFileSync(file, '');
  };

  readonly copyTruncate = (): void => {
    const file = this.o.file;
    if (existsSync(`${file}.1`)) renameSync(`${file}.1`, `${file}.2`);
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
  };

  /**
   * The whole scenario: five runs killed at random, rotations by rename and copytruncate while
   * running and while down, then a last run that catches up and must serve `want` (the
   * uninterrupted reading's counters), exit 0 on SIGTERM, and serve the same after a restart.
   * Resolves with the last checkpoint.
   */
  async run<T extends RoundCheckpoint>(want: Record<string, string>, seed: number): Promise<T> {
    const n = this.lines.length;
    const at = (f: number) => Math.floor(n * f);
    writeFileSync(this.o.file, '');
    this.append(at(0.15));
    await this.round('run 1 (--from-start)', { fromStart: true, upTo: at(0.3) });
    this.append(at(0.35) - this.next);
    await this.round('run 2 (rename rotation while running)', { upTo: at(0.5), rotate: this.renameRotation });
    this.renameRotation(); // while down
    this.append(at(0.58) - this.next);
    await this.round('run 3 (after a rename rotation while down)', { upTo: at(0.7) });
    this.copyTruncate(); // while down
    this.append(at(0.75) - this.next);
    await this.round('run 4 (after a copytruncate while down; copytruncate while running)', { upTo: at(0.88), rotate: this.copyTruncate });

    // the last run catches up; then a clean stop
    const last = await this.startChild(false);
    await this.appendSlowly(n);
    let got: Record<string, string> = {};
    for (const deadline = Date.now() + 20000; Date.now() < deadline; await sleep(200)) {
      got = await counters(last.target);
      if (diff(got, want).length === 0) break;
    }
    expect(diff(got, want), this.why(seed)).to.deep.equal([]);
    last.proc.kill('SIGTERM');
    expect(await last.exited, 'exit code after SIGTERM').to.equal(0);
    const cp = this.checkpoint<T>()!;
    expect(cp.lines, this.why(seed)).to.equal(n);

    // and a restart with nothing new serves the same
    const again = await this.startChild(false);
    expect(diff(await counters(again.target), want), this.why(seed)).to.deep.equal([]);
    again.proc.kill('SIGKILL');
    await again.exited;
    return cp;
  }
}

// Golden walks (docs/golden-walks.md): a fixture log replayed through the real agent
// process (`madman agent --from-start ...`), walked with the real snmpwalk, time-dependent
// values masked, and compared with a golden file under test/fixtures/<source>/. A column
// that changes meaning shows up as a diff of that file in review.
//
// MADMAN_GOLDEN=update rewrites the golden files instead of comparing (then review the diff).

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadMibs } from '../../src/mib/loader.js';
import { startCliAgent, type CliAgent } from '../e2e/integration-support.js';
import { MIB_OPTS, ROOT, snmp } from './harness.js';
import { freeUdpPort } from './ports.js';

/** One replay: the files it needs, how the agent is started, what it must have read, what is walked. */
export interface GoldenReplay {
  /** the golden file, relative to the repository root: test/fixtures/<source>/<name>.walk */
  golden: string;
  /**
   * Files of the run's temporary directory, by name there: a path relative to the
   * repository root (a fixture, copied), or `{ text }` written as given. `DIR` in a text
   * stands for the temporary directory.
   */
  files: Record<string, string | { text: string }>;
  /** `madman agent` arguments besides --from-start, --state-dir and --listen (`DIR` as above) */
  args: string[];
  /**
   * What must have been read before the walk: madmanSourceName -> madmanSourceLines. A
   * number, or the name of a file of `files` (its line count).
   */
  wait: Record<string, number | string>;
  /** the subtrees walked, in this order (MIB names or numeric OIDs) */
  walk: string[];
  /** the agent's environment besides TZ=UTC (the timezone of the logs' local times) */
  env?: Record<string, string>;
  /** more checks on the run's directory once the agent has stopped (its checkpoints written), e.g. `madman counters show` */
  after?: (dir: string) => Promise<void>;
}

/** MADMAN_GOLDEN=update: rewrite the golden files. */
export const UPDATING = process.env.MADMAN_GOLDEN === 'update';

/** Objects whose values depend on when the walk runs: their values are masked. */
let timeObjects: Set<string> | undefined;
const TIME_SYNTAXES = new Set(['TimeStamp', 'TimeInterval', 'TimeTicks', 'DateAndTime']);

function timeDependent(): Set<string> {
  if (!timeObjects) {
    timeObjects = new Set();
    for (const o of loadMibs().byName.values()) if (o.syntax && TIME_SYNTAXES.has(o.syntax.name)) timeObjects.add(o.name);
  }
  return timeObjects;
}

/**
 * The walk as compared: one varbind a line, `MODULE::object.index = TYPE: value`, with
 * the values of time-dependent objects (TimeStamp, TimeInterval, TimeTicks, DateAndTime
 * syntaxes) replaced by `<time>`, the run's directory by `DIR` and this machine's name by
 * `HOST`.
 */
export function maskWalk(text: string, dir: string): string {
  const times = timeDependent();
  const host = os.hostname();
  const out: string[] = [];
  for (let line of text.split('\n')) {
    if (line === '') continue;
    const m = /^([\w-]+::)?([\w-]+)(\.[^ ]*)? = (.*)$/.exec(line);
    if (m && times.has(m[2]!)) line = `${m[1] ?? ''}${m[2]}${m[3] ?? ''} = <time>`;
    line = line.split(dir).join('DIR');
    if (host) line = line.replace(new RegExp(`\\b${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'g'), 'HOST');
    out.push(line);
  }
  return `${out.join('\n')}\n`;
}

const lineCount = (file: string) => {
  const text = readFileSync(file, 'utf8');
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
};

/** madmanSourceName -> madmanSourceLines, from one walk of madmanSourceTable. */
async function sourceLines(target: string): Promise<Map<string, number>> {
  const r = await snmp('snmpwalk', [...MIB_OPTS, '-OsQ', target, 'MADMAN-MIB::madmanSourceTable']);
  const names = new Map<string, string>();
  const lines = new Map<string, number>();
  for (const m of r.stdout.matchAll(/^madmanSource(Name|Lines)\.(\d+) = (.*)$/gm)) {
    if (m[1] === 'Name') names.set(m[2]!, m[3]!.replace(/^"(.*)"$/, '$1'));
    else lines.set(m[2]!, Number(m[3]));
  }
  return new Map([...names].map(([i, name]) => [name, lines.get(i) ?? 0]));
}

/**
 * Replays the fixtures through a real `madman agent --from-start` process, waits until
 * every input of `wait` has read its lines, and returns the masked walk of `walk`.
 */
export async function replayWalk(r: GoldenReplay): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-golden-'));
  let agent: CliAgent | undefined;
  try {
    const want = new Map<string, number>();
    for (const [name, f] of Object.entries(r.files)) {
      const to = path.join(dir, name);
      mkdirSync(path.dirname(to), { recursive: true });
      if (typeof f === 'string') copyFileSync(path.join(ROOT, f), to);
      else writeFileSync(to, f.text.split('DIR').join(dir));
    }
    for (const [source, n] of Object.entries(r.wait)) want.set(source, typeof n === 'number' ? n : lineCount(path.join(dir, n)));
    const port = await freeUdpPort();
    const target = `127.0.0.1:${port}`;
    const args = r.args.map((a) => a.split('DIR').join(dir));
    agent = await startCliAgent(['agent', '--from-start', '--state-dir', path.join(dir, 'state'), '--listen', `udp:${target}`, ...args], dir, {
      env: { TZ: 'UTC', ...r.env },
    });
    let seen = new Map<string, number>();
    for (const deadline = Date.now() + 30_000; ; await new Promise((res) => setTimeout(res, 100))) {
      seen = await sourceLines(target);
      if ([...want].every(([name, n]) => seen.get(name) === n)) break;
      if (Date.now() > deadline) {
        throw new Error(`the agent did not read the fixtures: want ${JSON.stringify([...want])}, read ${JSON.stringify([...seen])}; stderr: ${agent.stderr()}`);
      }
    }
    const walked: string[] = [];
    for (const oid of r.walk) {
      const w = await snmp('snmpwalk', [...MIB_OPTS, target, oid]);
      expect(w.code, `snmpwalk ${oid}: ${w.stderr}`).to.equal(0);
      expect(w.stderr, `snmpwalk ${oid}`).to.equal('');
      walked.push(w.stdout);
    }
    await agent.stop();
    agent = undefined;
    await r.after?.(dir);
    return maskWalk(walked.join('\n'), dir);
  } finally {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The replay's walk equals its golden file (MADMAN_GOLDEN=update writes it instead). */
export async function expectGolden(r: GoldenReplay): Promise<void> {
  const got = await replayWalk(r);
  const file = path.join(ROOT, r.golden);
  if (UPDATING) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, got);
    return;
  }
  if (!existsSync(file)) throw new Error(`no golden file ${r.golden}: run with MADMAN_GOLDEN=update, then review it`);
  const want = readFileSync(file, 'utf8');
  if (got !== want) throw new Error(`${r.golden} differs from the walk (MADMAN_GOLDEN=update rewrites it):\n${lineDiff(want, got)}`);
}

/** The lines only in the golden file (-) and only in the walk (+), in walk order. */
export function lineDiff(want: string, got: string): string {
  const a = want.split('\n');
  const b = got.split('\n');
  const inA = new Set(a);
  const inB = new Set(b);
  const out = [...a.filter((l) => !inB.has(l)).map((l) => `- ${l}`), ...b.filter((l) => !inA.has(l)).map((l) => `+ ${l}`)];
  return out.length ? out.join('\n') : '(the same lines in another order)';
}

// Reads the Prometheus text exposition format (version 0.0.4) the way a scraper does,
// independently of prom-client: samples with their labels, and the TYPE of each family.

import { spawn } from 'node:child_process';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** family name -> counter | gauge | histogram | ... */
  types: Map<string, string>;
  help: Map<string, string>;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

/** Parses an exposition; throws on a line that is not valid. */
export function parseExposition(text: string): Exposition {
  const out: Exposition = { samples: [], types: new Map(), help: new Map() };
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let m = /^# (TYPE|HELP) (\S+) (.*)$/.exec(line);
    if (m) {
      (m[1] === 'TYPE' ? out.types : out.help).set(m[2]!, m[3]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    m = LINE.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not a sample: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < body.length) {
      const at = LABEL.lastIndex;
      const l = LABEL.exec(body);
      if (!l || LABEL.lastIndex === at) throw new Error(`line ${i + 1}: bad labels: ${body}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    }
    const v = m[3]!;
    const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : v === 'NaN' ? NaN : Number(v);
    if (Number.isNaN(value) && v !== 'NaN') throw new Error(`line ${i + 1}: bad value ${v}`);
    out.samples.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** The value of the one sample of `name` whose labels include `labels`; throws unless exactly one. */
export function valueOf(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
  return found[0]!.value;
}

/**
 * What Prometheus' own linter says of an exposition: `promtool check metrics` (Debian
 * package prometheus) reads it on stdin and prints one line per problem (names, units,
 * _total on counters, help). '' when it has nothing to say.
 */
export function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, output }));
    p.stdin.end(text);
  });
}

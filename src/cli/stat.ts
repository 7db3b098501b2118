// `madman stat OBJECT [-i SECS] [-n COUNT] [--json]` and `madman stat --list`: Sun's
// counterutil, reading the running agent over SNMP (agent-client.ts) and printing each
// object's fields under counterutil's names and in its order (stat-objects.ts). With -i it
// samples repeatedly and shows what each running total moved since the previous sample.

import { existsSync } from 'node:fs';
import { settingsFrom, type Settings } from '../config/config.js';
import { loadMibs, type MibTree } from '../mib/loader.js';
import { sunTime } from '../notify/sun-time.js';
import { AgentError, AgentReader, STAT_EXIT, agentAnswers, targetFrom, targetLabel, type TargetFlags } from './agent-client.js';
import { STAT_OBJECTS, identityOids, snapshotOf, statObject, type FieldValue, type Snapshot, type StatInstance, type StatObject } from './stat-objects.js';

/** The options of `madman stat` (and, through AlarmsFlags, `madman alarms`). */
export interface StatFlags extends TargetFlags {
  config?: string;
  interval?: string;
  count?: string;
  json?: boolean;
  list?: boolean;
  timeout?: string;
}

/** The modules whose objects `stat` and `alarms` read (the SNMPv3 ones are the agent's business). */
const CLIENT_MODULES = ['SNMP-FRAMEWORK-MIB', 'NETWORK-SERVICES-MIB', 'MTA-MIB', 'MADMAN-MIB'];

/** Where the agent's configuration is when --config is not given. */
export const DEFAULT_CONFIG = '/etc/madman/madman.yml';

/** --config, else $MADMAN_CONFIG, else /etc/madman/madman.yml when it exists, else the defaults. */
export function settingsForClient(config: string | undefined): Settings {
  const file = config ?? process.env.MADMAN_CONFIG ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  try {
    return settingsFrom(file ? { config: file } : {});
  } catch (err) {
    throw new AgentError(STAT_EXIT.usage, `bad configuration: ${(err as Error).message}`);
  }
}

/** A connection to the agent and the MIB to read it by. */
export interface AgentSession {
  reader: AgentReader;
  tree: MibTree;
  label: string;
  /** madmanAgentVersion of the agent (filled by the first snapshot) */
  version: string;
}

/**
 * Finds the agent (a bare SNMPv3 discovery first: on this host a stopped agent is told at
 * once, not after a timeout) and opens a session with the configured credentials.
 */
export async function openSession(flags: StatFlags): Promise<AgentSession> {
  const timeout = flags.timeout === undefined ? 3 : Number(flags.timeout);
  if (!(timeout > 0 && timeout <= 600)) throw new AgentError(STAT_EXIT.usage, `--timeout takes seconds (up to 600), not "${flags.timeout}"`);
  const target = targetFrom(settingsForClient(flags.config), flags);
  const label = targetLabel(target);
  if (!(await agentAnswers(target, timeout * 1000))) throw new AgentError(STAT_EXIT.notRunning, `no SNMP agent answers at ${label} (is madman agent running?)`);
  return { reader: AgentReader.open(target, { timeoutMs: timeout * 1000 }), tree: loadMibs(undefined, CLIENT_MODULES), label, version: '' };
}

/** Reads sysUpTime, and checks it is a madman agent that shows us its MIB; then the tables. */
export async function snapshot(s: AgentSession): Promise<Snapshot> {
  const [up, version, descr] = await s.reader.get(identityOids(s.tree));
  const at = Date.now();
  if (version?.value === null || version?.value === undefined) {
    const isMadman = Buffer.isBuffer(descr?.value) && descr.value.toString('utf8').startsWith('madman');
    throw isMadman
      ? new AgentError(STAT_EXIT.credentials, `the agent at ${s.label} does not show MADMAN-MIB to these credentials (a view without it)`)
      : new AgentError(STAT_EXIT.notRunning, `the SNMP agent at ${s.label} is not madman, or madman is not registered with it (AgentX)`);
  }
  s.version = Buffer.isBuffer(version.value) ? version.value.toString('utf8') : String(version.value);
  return snapshotOf(s.reader, s.tree, at, Number(up?.value ?? 0));
}

/** A value as text: times in Sun's form (0 when never set), numbers with their unit. */
export function valueText(f: FieldValue): string {
  if (f.value === null) return f.kind === 'text' ? '' : '0';
  if (f.kind === 'time') return sunTime(f.value as number);
  return f.unit ? `${f.value} ${f.unit}` : String(f.value);
}

type Totals = Map<string, number>;

/** What each running total moved since the previous sample (none for a new instance). */
export function deltas(inst: StatInstance, previous: Totals | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!previous) return out;
  for (const f of inst.fields) {
    const before = previous.get(f.name);
    if (f.kind === 'counter' && typeof f.value === 'number' && before !== undefined) out.set(f.name, f.value - before);
  }
  return out;
}

function totals(inst: StatInstance): Totals {
  const t: Totals = new Map();
  for (const f of inst.fields) if (f.kind === 'counter' && typeof f.value === 'number') t.set(f.name, f.value);
  return t;
}

/** One sample in counterutil's layout: "INSTANCE.field: value", "(+N)" after totals that moved. */
export function formatSample(count: number, at: number, instances: StatInstance[], previous?: Map<string, Totals>): string {
  const lines = ['', `count = ${count} at ${Math.floor(at / 1000)} ${sunTime(at)}`, ''];
  for (const inst of instances) {
    const d = deltas(inst, previous?.get(inst.instance));
    for (const f of inst.fields) {
      const moved = d.get(f.name);
      const text = `${valueText(f)}${moved === undefined ? '' : ` (${moved >= 0 ? '+' : ''}${moved})`}`;
      lines.push(`${inst.instance}.${f.name}:${text ? ` ${text}` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** One sample as a JSON line: fields by name (times ISO 8601), deltas from the second on. */
export function sampleJson(object: string, agent: string, count: number, at: number, instances: StatInstance[], previous?: Map<string, Totals>): string {
  return JSON.stringify({
    object,
    agent,
    count,
    at: new Date(at).toISOString(),
    instances: instances.map((inst) => {
      const fields: Record<string, number | string | null> = {};
      for (const f of inst.fields) fields[f.name] = f.kind === 'time' && typeof f.value === 'number' ? new Date(f.value).toISOString() : f.value;
      const d = deltas(inst, previous?.get(inst.instance));
      return previous ? { instance: inst.instance, fields, delta: Object.fromEntries(d) } : { instance: inst.instance, fields };
    }),
  });
}

function positive(v: string | undefined, flag: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0) || (integer && !Number.isInteger(n)) || n > 86400 * 365) throw new AgentError(STAT_EXIT.usage, `${flag} takes a positive ${integer ? 'integer' : 'number'}, not "${v}"`);
  return n;
}

async function list(s: AgentSession, json: boolean): Promise<number> {
  const snap = await snapshot(s);
  const counts: Array<{ name: string; instances: number; description: string }> = [];
  for (const o of STAT_OBJECTS) counts.push({ name: o.name, instances: (await o.read(snap)).length, description: o.description });
  if (json) {
    process.stdout.write(`${JSON.stringify({ agent: s.label, version: s.version, objects: counts })}\n`);
    return STAT_EXIT.ok;
  }
  const lines = [`Listing counter objects of the agent at ${s.label} (madman ${s.version})`, `numobjects = ${counts.filter((c) => c.instances).length}`];
  for (const c of counts) {
    const n = c.instances ? `${c.instances} instance${c.instances === 1 ? '' : 's'}` : 'not configured';
    lines.push(`     entry = ${c.name.padEnd(15)} ${n.padEnd(15)} ${c.description}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return STAT_EXIT.ok;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** -i and -n: seconds between samples (none: one sample) and how many. */
export function sampling(flags: Pick<StatFlags, 'interval' | 'count'>): { interval?: number; count: number } {
  const interval = positive(flags.interval, '-i', false);
  return { interval, count: positive(flags.count, '-n', true) ?? (interval === undefined ? 1 : Infinity) };
}

async function monitor(s: AgentSession, object: StatObject, flags: StatFlags, stopped: () => boolean): Promise<number> {
  const { interval, count } = sampling(flags);
  let previous: Map<string, Totals> | undefined;
  for (let n = 1; n <= count && !stopped(); n++) {
    const started = Date.now();
    const snap = await snapshot(s);
    const instances = await object.read(snap);
    if (!instances.length) throw new AgentError(STAT_EXIT.notConfigured, `the agent at ${s.label} has no ${object.name}: ${object.needs}`);
    if (flags.json) process.stdout.write(`${sampleJson(object.name, s.label, n, snap.at, instances, previous)}\n`);
    else {
      if (n === 1) process.stdout.write(`Monitor counterobject (${object.name})\nagent ${s.label} (madman ${s.version})\n`);
      process.stdout.write(formatSample(n, snap.at, instances, previous));
    }
    previous = new Map(instances.map((i) => [i.instance, totals(i)]));
    if (n < count && interval !== undefined) {
      // counterutil's -i: one sample every SECS, whatever a reading took
      for (let wait = interval * 1000 - (Date.now() - started); wait > 0 && !stopped(); wait -= 200) await sleep(Math.min(wait, 200));
    }
  }
  return STAT_EXIT.ok;
}

/** `madman stat`; returns the exit code (STAT_EXIT), the reason on stderr. */
export async function statCommand(object: string | undefined, flags: StatFlags): Promise<number> {
  let session: AgentSession | undefined;
  let stop = false;
  const onSignal = () => (stop = true);
  process.once('SIGINT', onSignal);
  try {
    if (!flags.list) {
      if (object === undefined) throw new AgentError(STAT_EXIT.usage, `name an object (${STAT_OBJECTS.map((o) => o.name).join(', ')}) or give --list`);
      if (!statObject(object)) throw new AgentError(STAT_EXIT.usage, `no counter object ${object} (there are ${STAT_OBJECTS.map((o) => o.name).join(', ')})`);
      // bad options are told before any agent is asked
      sampling(flags);
    }
    session = await openSession(flags);
    return flags.list ? await list(session, Boolean(flags.json)) : await monitor(session, statObject(object!)!, flags, () => stop);
  } catch (err) {
    if (!(err instanceof AgentError)) throw err;
    process.stderr.write(`madman stat: ${err.message}\n`);
    return err.code;
  } finally {
    process.off('SIGINT', onSignal);
    session?.reader.close();
  }
}

// Sources are plug-ins. Each source folder declares everything about itself in one
// SourceDeclaration: its section of the config file (JSON schema fragment, cross-key
// checks, how the section and its flags become settings), its `madman agent` flags, its
// `madman counters` rows, and a `load` that imports the running source only when the
// settings turn it on. The config loader, the agent and the CLI know sources only through
// this registry; src/sources/index.ts imports the built-in declarations (one line each).
//
// A declaration module must stay light: whatever pulls in a client library (imapflow,
// ldapts, nodemailer...) or the parsing code belongs behind `load`, so that an agent that
// does not run a source never pays for its code.

import type { Logger } from '../log.js';
import type { MailSystem } from '../model/mail-system.js';
import type { Baselines, ClearRequest } from '../state/counters-clear.js';
import type { ChannelReport } from './kit/counters-rows.js';

/** A running source: started once with the model it writes to, stopped at the end. */
export interface Source {
  readonly name: string;
  start(model: MailSystem, log: Logger): void | Promise<void>;
  stop(): void | Promise<void>;
  /**
   * After stop(), when a configuration reload turned the source off: removes the rows
   * only this source keeps up to date, which would otherwise show their last state for ever.
   */
  retire?(model: MailSystem): void;
}

/**
 * Each source's settings, by its config key. A declaration module adds its own entry by
 * declaration merging, so that `Settings` (config.ts) is typed without naming the source:
 *
 *     declare module '../registry.js' {
 *       interface SourceSettings { postfix: PostfixSettings }
 *     }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface SourceSettings {}

/** What every source gets besides its own settings. */
export interface SourceContext {
  /** the agent's state directory (checkpoints) */
  stateDir: string;
  /** read logs from their beginning before following them (--from-start) */
  fromStart: boolean;
}

/** The heavy half of a source, imported by `load` only when the settings turn it on. */
export interface SourceModule<S> {
  createSource(settings: S, ctx: SourceContext): Source;
}

/** One option of `madman agent`, in commander's notation. */
export interface FlagDeclaration {
  /** e.g. `--postfix-log <path>`, `--postfix-journal [unit]`, `--demo`; the value is found under commander's camelCase name */
  flags: string;
  description: string;
  /** may be given several times: the values are collected into an array */
  repeatable?: boolean;
}

/** What `settings()` reads: the checked file section, the flags, and path resolution. */
export interface SettingsInput<F> {
  /** the file's section, already checked against `schema` and `check`; undefined when the file has none */
  file?: F;
  /** the values of `madman agent`'s flags by commander's camelCase name (`postfixLog`) */
  flags: Readonly<Record<string, unknown>>;
  /** a path from the file, made absolute against the file's directory */
  filePath(p: string): string;
  /** a path from the command line, made absolute against the working directory */
  flagPath(p: string): string;
}

/** What a cross-key check gets besides its section; a failure names the key and its line (exit 2). */
export interface CheckContext {
  /** fails at a key of the section: `['queue']`, `[0, 'host']` */
  fail(path: ReadonlyArray<string | number>, message: string): never;
  /** fails at a key anywhere in the file: `['alarms', 'serverresponse', 'threshold']` */
  failAt(path: ReadonlyArray<string | number>, message: string): never;
  /** the whole file, checked against the schema (for checks across sections) */
  file: Readonly<Record<string, unknown>>;
}

/** `madman counters` rows a source keeps in the state directory. */
export interface CountersDeclaration {
  /** the rows, read from `stateDir` (no agent needed); `clear` is the last `counters clear` request */
  reports(stateDir: string, clear: ClearRequest | undefined): ChannelReport[];
  /**
   * For sources whose counters a clear cannot reset (MTA-MIB counters never go back): the
   * values to subtract from now on, recorded by `counters clear`, by "applName\tchannel".
   */
  baselines?(stateDir: string): Baselines;
}

export interface SourceDeclaration<S = unknown, F = unknown> {
  /** the source's name (madmanSourceTable rows and logs use it) */
  readonly name: string;
  /** what people call it, in messages: `Postfix`, `Sun MTA` (default: name) */
  readonly title?: string;
  /** its config file key, also its property in Settings (`postfix`, `sunMta`) */
  readonly key: string;
  /** JSON schema of the section, checked (with every other key) before `check` and `settings` */
  readonly schema?: object;
  /** what the schema cannot say: call ctx.fail (the error names the key and line, exit 2) */
  check?(section: F, ctx: CheckContext): void;
  /**
   * The settings from the file's section and the flags, defaults filled in; undefined when
   * neither configures the source. A mistake only the flags can make throws an Error.
   */
  settings(input: SettingsInput<F>): S | undefined;
  /** does this source run with these settings (default: whenever they are present) */
  enabled?(settings: S): boolean;
  /** its options of `madman agent` */
  readonly flags?: readonly FlagDeclaration[];
  /** its rows of `madman counters` */
  readonly counters?: CountersDeclaration;
  /** imports the running source (keep heavy modules behind it) */
  load(): Promise<SourceModule<S>>;
}

const declarations = new Map<string, SourceDeclaration>();
let version = 0;

/** Registers a source; its name and config key must be new. */
export function registerSource<S, F>(d: SourceDeclaration<S, F>): void {
  if (declarations.has(d.name)) throw new Error(`source ${d.name} registered twice`);
  for (const o of declarations.values()) if (o.key === d.key) throw new Error(`config key ${d.key} of source ${d.name} is already source ${o.name}'s`);
  declarations.set(d.name, d as SourceDeclaration);
  version++;
}

/** Every registered source, in registration order. */
export function sourceDeclarations(): readonly SourceDeclaration[] {
  return [...declarations.values()];
}

/** Changes with each registration (the config loader recompiles its schema then). */
export function registryVersion(): number {
  return version;
}

/** The settings of source `d` in `settings`, if any. */
export function settingsOf(d: SourceDeclaration, settings: object): unknown {
  return (settings as Record<string, unknown>)[d.key];
}

/** A source the settings turn on, before it is loaded and created. */
export interface PlannedSource {
  /** its declared name */
  readonly registered: string;
  /**
   * What it is made from (its settings and context, as JSON): a configuration reload
   * restarts the source when this changes and leaves it running when it does not.
   */
  readonly madeFrom: string;
  /** loads and creates it */
  create(): Promise<Source>;
}

/** A source created from the settings, with what it was made from. */
export interface ConfiguredSource {
  readonly registered: string;
  readonly madeFrom: string;
  readonly source: Source;
}

/** The sources `settings` turn on, in registration order, not yet loaded. */
export function plannedSources(settings: Partial<SourceSettings> & SourceContext): PlannedSource[] {
  const out: PlannedSource[] = [];
  for (const d of declarations.values()) {
    const s = settingsOf(d, settings);
    if (s === undefined || (d.enabled && !d.enabled(s))) continue;
    const ctx: SourceContext = { stateDir: settings.stateDir, fromStart: settings.fromStart };
    out.push({ registered: d.name, madeFrom: JSON.stringify([s, ctx]), create: async () => (await d.load()).createSource(s, ctx) });
  }
  return out;
}

/** The sources `settings` turn on, loaded and created, in registration order, with what each was made from. */
export async function configuredSourceEntries(settings: Partial<SourceSettings> & SourceContext): Promise<ConfiguredSource[]> {
  const out: ConfiguredSource[] = [];
  for (const p of plannedSources(settings)) out.push({ registered: p.registered, madeFrom: p.madeFrom, source: await p.create() });
  return out;
}

/** The sources `settings` turn on, loaded and created, in registration order. */
export async function configuredSources(settings: Partial<SourceSettings> & SourceContext): Promise<Source[]> {
  return (await configuredSourceEntries(settings)).map((e) => e.source);
}

export function sourceNames(): string[] {
  return [...declarations.keys()];
}

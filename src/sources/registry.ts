// Sources feed the model. Each lives in its own file and registers here by name
// with a factory that reads its own part of the settings and returns undefined when
// it is not configured; the agent starts whatever the settings turn on.

import type { Settings } from '../config/config.js';
import type { Logger } from '../log.js';
import type { MailSystem } from '../model/mail-system.js';

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

export type SourceFactory = (settings: Settings) => Source | undefined;

const factories = new Map<string, SourceFactory>();

export function registerSource(name: string, factory: SourceFactory): void {
  if (factories.has(name)) throw new Error(`source ${name} registered twice`);
  factories.set(name, factory);
}

/** A source the settings turn on, with what it was made from. */
export interface ConfiguredSource {
  /** the name its factory is registered under */
  registered: string;
  source: Source;
  /**
   * The settings its factory read (the top-level sections, as JSON): a reload restarts
   * the source when this changes and leaves it running when it does not.
   */
  madeFrom: string;
}

/** The sources `settings` turn on, in registration order, with what each was made from. */
export function configuredSourceEntries(settings: Settings): ConfiguredSource[] {
  const out: ConfiguredSource[] = [];
  for (const [registered, f] of factories) {
    // The sections a factory reads are found by watching it read them, so that no list
    // of which source reads what has to be kept beside the sources.
    const read = new Set<string>();
    const watched = new Proxy(settings, {
      get(target, key, receiver) {
        if (typeof key === 'string') read.add(key);
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const source = f(watched);
    if (!source) continue;
    const sections = [...read].sort().map((k) => [k, settings[k as keyof Settings]]);
    out.push({ registered, source, madeFrom: JSON.stringify(sections) });
  }
  return out;
}

/** The sources `settings` turn on, in registration order. */
export function configuredSources(settings: Settings): Source[] {
  return configuredSourceEntries(settings).map((e) => e.source);
}

export function sourceNames(): string[] {
  return [...factories.keys()];
}

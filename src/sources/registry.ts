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
}

export type SourceFactory = (settings: Settings) => Source | undefined;

const factories = new Map<string, SourceFactory>();

export function registerSource(name: string, factory: SourceFactory): void {
  if (factories.has(name)) throw new Error(`source ${name} registered twice`);
  factories.set(name, factory);
}

/** The sources `settings` turn on, in registration order. */
export function configuredSources(settings: Settings): Source[] {
  const out: Source[] = [];
  for (const f of factories.values()) {
    const s = f(settings);
    if (s) out.push(s);
  }
  return out;
}

export function sourceNames(): string[] {
  return [...factories.keys()];
}

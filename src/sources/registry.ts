// Sources feed the model. Each lives in its own file and registers here by name,
// so the agent starts the ones a configuration names without knowing them.

import type { Logger } from '../log.js';
import type { MailSystem } from '../model/mail-system.js';

export interface Source {
  readonly name: string;
  start(model: MailSystem, log: Logger): void | Promise<void>;
  stop(): void | Promise<void>;
}

export type SourceFactory = (options: Record<string, unknown>) => Source;

const factories = new Map<string, SourceFactory>();

export function registerSource(name: string, factory: SourceFactory): void {
  if (factories.has(name)) throw new Error(`source ${name} registered twice`);
  factories.set(name, factory);
}

export function createSource(name: string, options: Record<string, unknown> = {}): Source {
  const f = factories.get(name);
  if (!f) throw new Error(`no source named ${name} (known: ${[...factories.keys()].join(', ')})`);
  return f(options);
}

export function sourceNames(): string[] {
  return [...factories.keys()];
}

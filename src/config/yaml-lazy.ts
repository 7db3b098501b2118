// The yaml package, loaded at the first config file read: an agent started without a file
// (the demo) never needs it, and it costs ~1 MiB of an idle agent's memory.

import { createRequire } from 'node:module';

type YamlModule = typeof import('yaml');
let loaded: YamlModule | undefined;

/** The yaml package's exports (parseDocument, LineCounter, isMap, ...), loaded on first use. */
export function yaml(): YamlModule {
  loaded ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return loaded;
}

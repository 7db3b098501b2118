// The Exim source's declaration (src/sources/registry.ts): the `exim:` section, the
// --exim-* flags and the `madman counters` rows (its groups' MTA-MIB counters). The source itself (source.ts) is imported only when the settings turn it on.

import { mtaCounters } from '../kit/mta-counters.js';
import { registerSource } from '../registry.js';
import { checkExim, eximFlags, eximSchema, eximSettings, type EximFile, type EximSettings } from './config.js';

export type { EximSettings } from './config.js';

declare module '../registry.js' {
  interface SourceSettings {
    /** Exim's logs (files, a syslog file or the journal) and its queue (exim/config.ts) */
    exim: EximSettings;
  }
}

registerSource<EximSettings, EximFile>({
  name: 'exim',
  title: 'Exim',
  key: 'exim',
  schema: eximSchema,
  check: checkExim,
  settings: eximSettings,
  enabled: (s) => Boolean(s.log || s.journal),
  flags: eximFlags,
  counters: mtaCounters('exim', 'exim'),
  load: async () => {
    const { EximSource } = await import('./source.js');
    return { createSource: (s, ctx) => new EximSource(s, ctx.stateDir, ctx.fromStart) };
  },
});

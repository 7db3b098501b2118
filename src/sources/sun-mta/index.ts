// The Sun/Oracle Messaging Server MTA source's declaration (src/sources/registry.ts): the
// `sunMta:` section, --sun-mta-log and the `madman counters` rows (imsimta counters). The
// source itself (source.ts) is imported only when the settings turn it on.

import { registerSource } from '../registry.js';
import { sunMtaFlags, sunMtaSchema, sunMtaSettings, type SunMtaFile, type SunMtaSettings } from './config.js';
import { sunReports } from './counters.js';

export type { SunMtaSettings } from './config.js';

declare module '../registry.js' {
  interface SourceSettings {
    /** a Messaging Server MTA log (sun-mta/config.ts) */
    sunMta: SunMtaSettings;
  }
}

registerSource<SunMtaSettings, SunMtaFile>({
  name: 'sun-mta',
  title: 'Sun MTA',
  key: 'sunMta',
  schema: sunMtaSchema,
  settings: sunMtaSettings,
  flags: sunMtaFlags,
  counters: { reports: sunReports },
  load: async () => {
    const { SunMtaSource } = await import('./source.js');
    return { createSource: (s, ctx) => new SunMtaSource(s, ctx.stateDir, ctx.fromStart) };
  },
});

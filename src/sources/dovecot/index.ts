// The Dovecot source's declaration (src/sources/registry.ts): the `dovecot:` section and
// the --dovecot-* flags. The source itself (source.ts, with the IMAP client of the quota
// reader) is imported only when the settings turn it on.

import { registerSource } from '../registry.js';
import { dovecotFlags, dovecotSchema, dovecotSettings, type DovecotFile, type DovecotSettings } from './config.js';

export type { DovecotSettings } from './config.js';

declare module '../registry.js' {
  interface SourceSettings {
    /** Dovecot service statistics and quotas (dovecot/config.ts) */
    dovecot: DovecotSettings;
  }
}

registerSource<DovecotSettings, DovecotFile>({
  name: 'dovecot',
  title: 'Dovecot',
  key: 'dovecot',
  schema: dovecotSchema,
  settings: dovecotSettings,
  flags: dovecotFlags,
  load: async () => {
    const { DovecotSource } = await import('./source.js');
    return { createSource: (s, ctx) => new DovecotSource(s, ctx.fromStart, ctx.stateDir) };
  },
});

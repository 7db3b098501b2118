// The Sendmail source's declaration (src/sources/registry.ts): the `sendmail:` section,
// the --sendmail-* flags and the `madman counters` rows. The source itself (source.ts,
// with the readers of sendmail.cf, the statistics file, the queue and the log) is
// imported only when the settings turn it on.

import { registerSource } from '../registry.js';
import { sendmailFlags, sendmailSchema, sendmailSettings, type SendmailFile, type SendmailSettings } from './config.js';
import { sendmailReports } from './counters.js';

export type { SendmailSettings } from './config.js';

declare module '../registry.js' {
  interface SourceSettings {
    /** a Sendmail MTA (sendmail/config.ts) */
    sendmail: SendmailSettings;
  }
}

registerSource<SendmailSettings, SendmailFile>({
  name: 'sendmail',
  title: 'Sendmail',
  key: 'sendmail',
  schema: sendmailSchema,
  check: (section, ctx) => {
    if (section.log !== undefined && section.journal !== undefined && section.journal !== false) ctx.fail(['journal'], 'log and journal are exclusive: give one');
  },
  settings: sendmailSettings,
  flags: sendmailFlags,
  counters: { reports: sendmailReports },
  load: async () => {
    const { SendmailSource } = await import('./source.js');
    return { createSource: (s, ctx) => new SendmailSource(s, ctx.stateDir, ctx.fromStart) };
  },
});

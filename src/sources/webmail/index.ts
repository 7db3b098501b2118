// The webmail source's declaration (src/sources/registry.ts): the `webmail:` section and the
// --webmail-* flags. Sun's httpstat for the webmail an operator runs today: logins from
// Roundcube's userlogins log, connections from nginx's stub_status or Apache's mod_status.
// The source itself (source.ts) is imported only when the settings turn it on.

import { registerSource } from '../registry.js';
import { webmailFlags, webmailSchema, webmailSettings, type WebmailFile, type WebmailSettings } from './config.js';

/** The webmail source's settings (config.ts). */
export type { WebmailSettings } from './config.js';

declare module '../registry.js' {
  interface SourceSettings {
    /** Roundcube logins and the web server's connections (webmail/config.ts) */
    webmail: WebmailSettings;
  }
}

registerSource<WebmailSettings, WebmailFile>({
  name: 'webmail',
  title: 'webmail',
  key: 'webmail',
  schema: webmailSchema,
  check(f, ctx) {
    if (f.log === undefined && (f.journal === undefined || f.journal === false) && f.status === undefined) ctx.fail([], 'needs log, journal or status');
    if (f.log !== undefined && f.journal !== undefined && f.journal !== false) ctx.fail(['journal'], 'give log or journal, not both');
    if (f.status !== undefined && !URL.canParse(f.status)) ctx.fail(['status'], `"${f.status}" is not a URL`);
  },
  settings: webmailSettings,
  enabled: (s) => Boolean(s.log || s.journal || s.status),
  flags: webmailFlags,
  load: async () => {
    const { WebmailSource } = await import('./source.js');
    return { createSource: (s, ctx) => new WebmailSource(s, ctx.stateDir, ctx.fromStart) };
  },
});

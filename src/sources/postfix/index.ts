// The Postfix source's declaration (src/sources/registry.ts): the `postfix:` section, the
// --postfix-* flags and the `madman counters` rows. The source itself (source.ts) is
// imported only when the settings turn it on.

import { registerSource } from '../registry.js';
import { checkPostfix, postfixFlags, postfixSchema, postfixSettings, type PostfixFile, type PostfixSettings } from './config.js';
import { postfixReports } from './counters.js';

export type { PostfixSettings } from './config.js';

declare module '../registry.js' {
  interface SourceSettings {
    /** a Postfix log (file or journal) and its queue (postfix/config.ts) */
    postfix: PostfixSettings;
  }
}

registerSource<PostfixSettings, PostfixFile>({
  name: 'postfix',
  title: 'Postfix',
  key: 'postfix',
  schema: postfixSchema,
  check: checkPostfix,
  settings: postfixSettings,
  enabled: (s) => Boolean(s.log || s.journal),
  flags: postfixFlags,
  counters: { reports: postfixReports },
  load: async () => {
    const { PostfixSource } = await import('./source.js');
    return { createSource: (s, ctx) => new PostfixSource(s, ctx.stateDir, ctx.fromStart) };
  },
});

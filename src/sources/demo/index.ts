// The demo source's declaration (src/sources/registry.ts): `demo: true` or --demo serves a
// built-in mail system whose counters move (source.ts).

import { registerSource } from '../registry.js';

declare module '../registry.js' {
  interface SourceSettings {
    /** serve the built-in demo mail system (demo/source.ts) */
    demo: boolean;
  }
}

registerSource<boolean, boolean>({
  name: 'demo',
  key: 'demo',
  schema: { type: 'boolean' },
  settings: ({ file, flags }) => (flags.demo ? true : file),
  enabled: (on) => on,
  flags: [{ flags: '--demo', description: 'serve a built-in demo mail system' }],
  load: async () => {
    const { DemoSource } = await import('./source.js');
    return { createSource: () => new DemoSource() };
  },
});

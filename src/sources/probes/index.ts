// The probes source's declaration (src/sources/registry.ts): the `probes:` list. The
// source itself (source.ts, with the IMAP, LDAP and SMTP client libraries) is imported
// only when probes are configured.

import { ruleFrom, type RuleFile } from '../../config/alarms.js';
import { registerSource } from '../registry.js';
import { checkProbes, probeSpecs, probesSchema, probeTimeout, type ProbeEntry, type ProbeSpec } from './config.js';

export type { ProbeSpec } from './config.js';

declare module '../registry.js' {
  interface SourceSettings {
    /** services to probe (probes/config.ts) */
    probes: ProbeSpec[];
  }
}

registerSource<ProbeSpec[], ProbeEntry[]>({
  name: 'probes',
  key: 'probes',
  schema: probesSchema,
  check(entries, ctx) {
    const bad = checkProbes(entries);
    if (bad) ctx.failAt(bad.path, bad.message);
    // serverresponse measures checks that completed, which always took less than their timeout
    const r = (ctx.file.alarms as Record<string, RuleFile> | undefined)?.serverresponse;
    if (r?.threshold === undefined || !entries.length) return;
    const rule = ruleFrom('serverresponse', r);
    const longest = Math.max(...entries.map(probeTimeout));
    if (rule.statInterval > 0 && rule.threshold >= longest) {
      ctx.failAt(['alarms', 'serverresponse', 'threshold'], `${rule.threshold} s is not below the probes' timeout (${longest} s): the alarm could never be raised`);
    }
  },
  settings: ({ file, filePath }) => file && probeSpecs(file, filePath('.')),
  enabled: (s) => s.length > 0,
  load: async () => {
    const { ProbesSource } = await import('./source.js');
    return { createSource: (s) => new ProbesSource(s) };
  },
});

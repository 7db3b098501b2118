// The disks source's declaration (src/sources/registry.ts): `disks:` (a list of paths, or
// {paths, interval}) and --disk PATH. The source itself (source.ts, with systeminformation)
// is imported only when a disk is watched.

import { registerSource } from '../registry.js';

export interface DiskSettings {
  paths: string[];
  /** seconds between readings of the file systems */
  interval: number;
}

type DisksFile = string[] | { paths?: string[]; interval?: number };

declare module '../registry.js' {
  interface SourceSettings {
    /** the file systems to watch (disks/index.ts) */
    disks: DiskSettings;
  }
}

const DEFAULT_INTERVAL = 60;

registerSource<DiskSettings, DisksFile>({
  name: 'disks',
  key: 'disks',
  schema: {
    anyOf: [
      { type: 'array', items: { type: 'string', minLength: 1 } },
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          paths: { type: 'array', items: { type: 'string', minLength: 1 } },
          interval: { type: 'integer', minimum: 1, maximum: 86400 },
        },
      },
    ],
  },
  settings({ file, flags, filePath, flagPath }) {
    let s: DiskSettings | undefined;
    if (file) {
      const d = Array.isArray(file) ? { paths: file } : file;
      s = { paths: (d.paths ?? []).map(filePath), interval: d.interval ?? DEFAULT_INTERVAL };
    }
    const disk = flags.disk as string[] | undefined;
    if (disk?.length) s = { interval: s?.interval ?? DEFAULT_INTERVAL, paths: disk.map(flagPath) };
    return s;
  },
  enabled: (s) => s.paths.length > 0,
  flags: [{ flags: '--disk <path>', description: 'watch the file system holding this path (repeatable)', repeatable: true }],
  load: async () => {
    const { DiskSource } = await import('./source.js');
    return { createSource: (s) => new DiskSource(s.paths, s.interval) };
  },
});

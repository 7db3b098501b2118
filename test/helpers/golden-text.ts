// Golden text of the command-line tools (`madman stat`, `madman alarms`): the output of a
// real command against a real agent, with what depends on the moment or the machine masked,
// compared with a file under test/fixtures/cli/. MADMAN_GOLDEN=update rewrites the files
// instead (then review the diff), as for the golden walks.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT } from './harness.js';

export const UPDATING = process.env.MADMAN_GOLDEN === 'update';

/** Sun's time (17/Oct/2000:12:44:23 -0700), and an epoch second count after "at". */
const SUN_TIME = /\b\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\b/g;

export interface MaskOptions {
  /** the run's temporary directory, written DIR */
  dir?: string;
  /** `INSTANCE.field: value` lines whose value is masked (`<value>`), by field name */
  fields?: string[];
  /** more replacements, applied last */
  replace?: Array<[RegExp, string]>;
}

/** Times, the agent's port and version, the run's directory and this host's name masked. */
export function maskText(text: string, o: MaskOptions = {}): string {
  let t = text.replace(SUN_TIME, '<time>').replace(/\bcount = (\d+) at \d+ /g, 'count = $1 at <epoch> ');
  t = t.replace(/\b(udp6?):(\[[^\]]+\]|[\d.]+):\d+/g, '$1:$2:<port>').replace(/\(madman [^)\s]+\)/g, '(madman <version>)');
  if (o.dir) t = t.split(o.dir).join('DIR');
  const host = os.hostname();
  if (host) t = t.replace(new RegExp(`\\b${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'g'), 'HOST');
  for (const f of o.fields ?? []) t = t.replace(new RegExp(`^(.*\\.${f}): .*$`, 'gm'), '$1: <value>');
  for (const [re, to] of o.replace ?? []) t = t.replace(re, to);
  return t;
}

/** Compares `actual` (already masked) with test/fixtures/cli/NAME, or rewrites it when updating. */
export function expectGolden(name: string, actual: string): void {
  const file = path.join(ROOT, 'test/fixtures/cli', name);
  if (UPDATING) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  let golden: string;
  try {
    golden = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`no golden file ${file}: run with MADMAN_GOLDEN=update and review it`);
  }
  expect(actual, `${name} (MADMAN_GOLDEN=update rewrites it)`).to.equal(golden);
}

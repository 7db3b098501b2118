// Config files for the config tests: each written to a temporary directory that the
// describe block owns (made before its tests, removed after), and the ConfigError that
// reading one gives.

import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, settingsFrom } from '../../src/config/config.js';

export interface ConfigFiles {
  /** the temporary directory (valid inside the tests) */
  readonly dir: string;
  /** writes a config file (lines are joined and end with a newline) and returns its path */
  file(text: string | string[]): string;
  /** the ConfigError that reading `f` throws (by default through settingsFrom, as the CLI does) */
  error(f: string, read?: (f: string) => unknown): ConfigError;
}

/** Call inside a describe(): registers the before/after hooks of its directory. */
export function configFiles(prefix: string): ConfigFiles {
  let dir = '';
  let n = 0;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), `madman-${prefix}-`));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    get dir() {
      return dir;
    },
    file(text) {
      const f = path.join(dir, `config-${++n}.yaml`);
      writeFileSync(f, Array.isArray(text) ? `${text.join('\n')}\n` : text);
      return f;
    },
    error(f, read = (p) => settingsFrom({ config: p })) {
      try {
        read(f);
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        return err as ConfigError;
      }
      throw new Error(`reading ${f} did not throw`);
    },
  };
}

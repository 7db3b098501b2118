// Checkpoints written before the source kit still restore: each of test/fixtures/checkpoints
// was saved by main's Postfix, Sun MTA or Dovecot source after the first lines of its log
// (README there). The source of today resumes from it and reads the rest of the log; the
// model, the open associations and the madmanSourceTable counts must then be exactly those of
// one uninterrupted reading of the whole log by the source of today.

import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { snapshotModel } from '../../src/model/persist.js';
import '../../src/sources/index.js';
import { dovecotDefaults } from '../../src/sources/dovecot/config.js';
import { sourceDeclarations, type Source } from '../../src/sources/registry.js';
import { ROOT } from '../helpers/harness.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/checkpoints');

interface Case {
  source: string;
  input: string;
  settings(log: string): unknown;
  /** lines the checkpoint had read, and its lines not understood */
  saved: { lines: number; unparsed: number };
  /** lines of the whole log, and those not understood */
  total: { lines: number; unparsed: number };
}

const CASES: Case[] = [
  { source: 'postfix', input: 'postfix log', settings: (log) => ({ log, queueInterval: 60, contentFilterServices: [] }), saved: { lines: 17, unparsed: 1 }, total: { lines: 50, unparsed: 1 } },
  { source: 'sun-mta', input: 'sun-mta log', settings: (log) => ({ log, application: 'msg MTA on mail1' }), saved: { lines: 26, unparsed: 1 }, total: { lines: 51, unparsed: 6 } },
  {
    source: 'dovecot',
    input: 'dovecot log',
    settings: (log) => ({ ...dovecotDefaults(), log, quotaInterval: 0, whoInterval: 0 }),
    saved: { lines: 8, unparsed: 1 },
    total: { lines: 14, unparsed: 1 },
  },
];

async function until(what: string, ok: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 30_000; !ok(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/** Everything the source put in the model that a restart must keep. */
function dump(model: MailSystem): unknown {
  return {
    model: snapshotModel(model),
    associations: [...model.applications.values()].map((a) =>
      [...a.associations.values()].map((x) => [x.remoteApplication, x.type, x.startedAt, x.channel]).sort(),
    ),
    services: [...model.services.values()],
  };
}

async function runSource(c: Case, stateDir: string, log: string, fromStart: boolean, expectLines: number) {
  const d = sourceDeclarations().find((x) => x.name === c.source)!;
  const model = new MailSystem();
  const source: Source = (await d.load()).createSource(c.settings(log), { stateDir, fromStart });
  await source.start(model, silentLogger);
  const input = () => [...model.inputs.values()].find((i) => i.name === c.input)!;
  const atStart = { lines: input().lines, unparsed: input().unparsed };
  await until(`${c.source}: ${expectLines} lines`, () => input().lines >= expectLines);
  await source.stop();
  return { model, atStart, input: input() };
}

describe('checkpoints written before the source kit', function () {
  this.timeout(90_000);
  for (const c of CASES) {
    it(`${c.source}: resumes from main's checkpoint and ends as one uninterrupted reading`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-compat-'));
      try {
        const log = path.join(dir, `${c.source}.log`);
        copyFileSync(path.join(FIXTURES, `${c.source}.log`), log);
        // the saved position names the inode the log had then; the same bytes are in this one
        const cp = JSON.parse(readFileSync(path.join(FIXTURES, `${c.source}.json`), 'utf8')) as { position: { dev: number; ino: number; offset: number } };
        const st = statSync(log);
        cp.position.dev = st.dev;
        cp.position.ino = st.ino;
        const state = path.join(dir, 'state');
        const whole = path.join(dir, 'whole');
        mkdirSync(state);
        writeFileSync(path.join(state, `${c.source}.json`), JSON.stringify(cp));
        const resumed = await runSource(c, state, log, true, c.total.lines);
        // the counts came from the checkpoint (fromStart is ignored: there is a checkpoint)
        expect(resumed.atStart).to.deep.equal(c.saved);
        expect([resumed.input.lines, resumed.input.unparsed]).to.deep.equal([c.total.lines, c.total.unparsed]);
        const once = await runSource(c, whole, log, true, c.total.lines);
        expect([once.input.lines, once.input.unparsed]).to.deep.equal([c.total.lines, c.total.unparsed]);
        expect(dump(resumed.model)).to.deep.equal(dump(once.model));
        // and what it saves now is the kit's checkpoint: counts beside the reader's state
        const now = JSON.parse(readFileSync(path.join(state, `${c.source}.json`), 'utf8')) as Record<string, unknown>;
        expect([now.version, now.lines, now.unparsed]).to.deep.equal([1, c.total.lines, c.total.unparsed]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

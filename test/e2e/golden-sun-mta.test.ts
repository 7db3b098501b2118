// The Sun MTA source's whole walk against its golden files (test/helpers/golden-walk.ts,
// docs/golden-walks.md): the fixture logs replayed through `madman agent --from-start`.

import path from 'node:path';
import { expect } from 'chai';
import { expectGolden } from '../helpers/golden-walk.js';
import { ROOT, run } from '../helpers/harness.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const WALK = ['NETWORK-SERVICES-MIB::application', 'MTA-MIB::mta', 'MADMAN-MIB::madmanChannels', 'MADMAN-MIB::madmanSourceTable'];

describe('golden walk: Sun MTA', function () {
  this.timeout(90_000);

  it('mail.log_current gives sun-mta/mail.log_current.walk', async () => {
    await expectGolden({
      golden: 'test/fixtures/sun-mta/mail.log_current.walk',
      files: { 'mail.log_current': 'test/fixtures/sun-mta/mail.log_current' },
      args: ['--sun-mta-log', 'DIR/mail.log_current'],
      wait: { 'sun-mta log': 'mail.log_current' },
      walk: WALK,
    });
  });

  it('interleaved.log (records of one message spread and interleaved) gives sun-mta/interleaved.walk, and `counters show` the same counts', async () => {
    await expectGolden({
      golden: 'test/fixtures/sun-mta/interleaved.walk',
      files: { 'mail.log_current': 'test/fixtures/sun-mta/interleaved.log' },
      args: ['--sun-mta-log', 'DIR/mail.log_current'],
      wait: { 'sun-mta log': 'mail.log_current' },
      walk: WALK,
      after: async (dir) => {
        // test/unit/sun-mta-grouping.test.ts works these out by hand from the fixture
        const r = await run('node', [CLI, 'counters', 'show', '--state-dir', path.join(dir, 'state'), '--json']);
        expect(r.code, r.stderr).to.equal(0);
        const shown = JSON.parse(r.stdout) as Array<{ channel: string; counters: Record<string, { messages: number; recipients: number; blocks: number }> }>;
        const row = (ch: string, k: string) => {
          const v = shown.find((s) => s.channel === ch)!.counters[k]!;
          return [v.messages, v.recipients, v.blocks];
        };
        expect([row('tcp_intranet', 'submitted'), row('tcp_local', 'received'), row('tcp_local', 'submitted'), row('tcp_local', 'delivered'), row('tcp_local', 'attempted')]).to.deep.equal([
          [2, 4, 4],
          [2, 4, 4],
          [3, 5, 12],
          [2, 3, 4],
          [1, 1, 2],
        ]);
        expect([row('ims-ms', 'received'), row('ims-ms', 'delivered'), row('ims-ms', 'stored')]).to.deep.equal([
          [3, 5, 12],
          [1, 3, 4],
          [2, 2, 8],
        ]);
        const text = (await run('node', [CLI, 'counters', 'show', '--state-dir', path.join(dir, 'state'), '--channel', 'ims-ms'])).stdout;
        expect(text).to.contain('   Received                     3          5         12\n');
      },
    });
  });

  it('columns.log with the configuration\'s URLs, directory name and version command gives sun-mta/columns.walk', async () => {
    await expectGolden({
      golden: 'test/fixtures/sun-mta/columns.walk',
      files: {
        'mail.log_current': 'test/fixtures/sun-mta/columns.log',
        'imsimta': { text: '#!/bin/sh\necho "Oracle Communications Messaging Server 8.0.2.3.20181024 64bit (built Oct 24 2018)"\n' },
        'madman.yml': {
          text: [
            'sunMta:',
            '  log: DIR/mail.log_current',
            '  application: msg-test MTA on mail1',
            '  versionCommand: sh DIR/imsimta version',
            '  url: https://wiki.example.org/mail/mail1',
            '  directoryName: cn=mail1,ou=mta,o=example',
            '  groupUrls: { tcp_local: "https://wiki.example.org/mail/tcp_local" }',
            '',
          ].join('\n'),
        },
      },
      args: ['--config', 'DIR/madman.yml'],
      wait: { 'sun-mta log': 'mail.log_current' },
      walk: WALK,
    });
  });
});

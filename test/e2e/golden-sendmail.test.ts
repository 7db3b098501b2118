// The Sendmail source's whole walk against its golden files (test/helpers/golden-walk.ts,
// docs/golden-walks.md): the fixture logs replayed through `madman agent --from-start`,
// beside the real 8.17 .cf, statistics file and a queue directory.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expectGolden } from '../helpers/golden-walk.js';
import { expect } from 'chai';
import { ROOT, run } from '../helpers/harness.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');

const FIXTURES = 'test/fixtures/sendmail';
const WALK = ['NETWORK-SERVICES-MIB::application', 'MTA-MIB::mta', 'MADMAN-MIB::madmanChannels', 'MADMAN-MIB::madmanSourceTable'];

/** The real 8.17 .cf (test/e2e/sendmail-server.test.ts) with its run's directory as the replay's. */
const cf = () => ({ text: readFileSync(path.join(ROOT, FIXTURES, 'sendmail-8.17.cf'), 'latin1').replaceAll('/tmp/madman-sendmail-qR4lxV', 'DIR') });

/**
 * The message real-8.17-e2e.log leaves deferred (6B7NLJPq018332, to smtp8's closed port), as
 * sendmail 8.17 writes its qf: two tries, 239 octets received (a df of 1 sendmail kilobyte).
 */
const QF = [
  'V8', 'T1796685679', 'K1796685686', 'N2', 'P120239', 'I8/1/1311293', 'MDeferred: Connection refused by [127.0.0.1]', 'Fbs',
  '$_localhost [127.0.0.1]', '$rESMTP', '$slocalhost', '${daemon_flags}', '${if_addr}127.0.0.1', 'S<sender@example.test>',
  'rRFC822; someone@remote.test', 'RPFD:<someone@remote.test>', 'H?P?Return-Path: <\u0003g>',
  'H??Received: from localhost (localhost [127.0.0.1])', '\tby mx (8.17.1.9/8.17.1.9) with ESMTP id 6B7NLJPq018332', '\tfor <someone@remote.test>; Mon, 7 Dec 2026 23:21:19 GMT',
  'H?x?Full-Name: Sender', 'H??Subject: deferred', '.', '',
].join('\n');

describe('golden walk: Sendmail', function () {
  this.timeout(90_000);

  it('real-8.17-e2e.log with the real .cf, statistics file and a queued message gives sendmail/real-8.17-e2e.walk', async () => {
    await expectGolden({
      golden: `${FIXTURES}/real-8.17-e2e.walk`,
      files: {
        'mail.log': `${FIXTURES}/real-8.17-e2e.log`,
        'sendmail.cf': cf(),
        statistics: `${FIXTURES}/statistics-8.17-lp64`,
        'mqueue/qf6B7NLJPq018332': { text: QF },
        'mqueue/df6B7NLJPq018332': { text: 'The deferred message, to a port where nothing listens.\n'.repeat(3) },
        'madman.yml': { text: ['sendmail:', '  log: DIR/mail.log', '  cf: DIR/sendmail.cf', '  application: sendmail MTA on mx', ''].join('\n') },
      },
      args: ['--config', 'DIR/madman.yml'],
      wait: { 'sendmail log': 'mail.log' },
      walk: WALK,
    });
  });

  it('edges.log (STARTTLS, AUTH, refusals at connect/MAIL, discards, aborted transactions, loops, milter errors, the MSP, queue runs, garbled lines), log alone, gives sendmail/edges.walk', async () => {
    await expectGolden({
      golden: `${FIXTURES}/edges.walk`,
      files: {
        'mail.log': `${FIXTURES}/edges.log`,
        'sendmail.cf': cf(),
        'madman.yml': {
          text: [
            'sendmail:',
            '  log: DIR/mail.log',
            '  cf: DIR/sendmail.cf',
            '  statistics: false',
            '  queue: false',
            '  programs: [sm-mta]',
            '  application: sendmail MTA on mx',
            '',
          ].join('\n'),
        },
      },
      args: ['--config', 'DIR/madman.yml'],
      wait: { 'sendmail log': 'mail.log' },
      walk: WALK,
      after: async (dir) => {
        const r = await run('node', [CLI, 'counters', 'show', '--state-dir', path.join(dir, 'state'), '--json']);
        expect(r.code, r.stderr).to.equal(0);
        // worked out by hand from the fixture: queue times from delay=; the two deferrals
        // of frank@slow.example make its delivery 20 minutes later not a first-time one
        const shown = JSON.parse(r.stdout) as Array<{ channel: string; counters: Record<string, { messages: number | null; recipients: number | null; blocks: number | null }>; deliveredFirstTime: number; queue: { seconds: number; count: number; firstSeconds: number; firstCount: number } }>;
        const of = (ch: string) => shown.find((s) => s.channel === ch)!;
        const row = (ch: string, k: string) => {
          const v = of(ch).counters[k]!;
          return [v.messages, v.recipients, v.blocks];
        };
        expect([row('MTA', 'received'), row('MTA', 'rejected'), row('MSA', 'received'), row('DSN', 'received'), row('local', 'submitted'), row('local', 'stored')]).to.deep.equal([
          [7, 7, 15],
          [2, 2, 0],
          [2, 5, 5],
          [2, 2, 0],
          // no Sendmail log line says these
          [null, null, null],
          [null, null, null],
        ]);
        expect([row('esmtp', 'delivered'), row('esmtp', 'attempted'), row('esmtp', 'failed'), row('local', 'delivered'), row('prog', 'delivered')]).to.deep.equal([
          [3, 4, 5],
          [2, 2, 4],
          [1, 1, 2],
          [6, 6, 13],
          [1, 1, 2],
        ]);
        expect([of('esmtp').deliveredFirstTime, of('esmtp').queue, of('local').queue]).to.deep.equal([
          2,
          { seconds: 1203, count: 3, firstSeconds: 3, firstCount: 2 },
          { seconds: 4, count: 6, firstSeconds: 4, firstCount: 6 },
        ]);
      },
    });
  });
});

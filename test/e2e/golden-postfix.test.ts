// The Postfix source's whole walk against its golden files (test/helpers/golden-walk.ts,
// docs/golden-walks.md): the fixture logs replayed through `madman agent --from-start`.

import { expectGolden } from '../helpers/golden-walk.js';

const WALK = ['NETWORK-SERVICES-MIB::application', 'MTA-MIB::mta', 'MADMAN-MIB::madmanChannels', 'MADMAN-MIB::madmanSourceTable'];

describe('golden walk: Postfix', function () {
  this.timeout(90_000);

  it('real-3.7.log gives postfix/real-3.7.walk', async () => {
    await expectGolden({
      golden: 'test/fixtures/postfix/real-3.7.walk',
      files: { 'mail.log': 'test/fixtures/postfix/real-3.7.log' },
      args: ['--postfix-log', 'DIR/mail.log'],
      wait: { 'postfix log': 'mail.log' },
      walk: WALK,
    });
  });

  it('columns-3.7.log (deferrals, a bounce, a loop, refusals, a forced expiry, smtpd errors) with the configuration\'s URLs gives postfix/columns-3.7.walk', async () => {
    await expectGolden({
      golden: 'test/fixtures/postfix/columns-3.7.walk',
      files: {
        'mail.log': 'test/fixtures/postfix/columns-3.7.log',
        'madman.yml': {
          text: [
            'postfix:',
            '  log: DIR/mail.log',
            '  url: https://wiki.example.org/mail/mx',
            '  directoryName: cn=mx,ou=mta,dc=example,dc=org',
            '  groupUrls: { smtp: "https://wiki.example.org/mail/outbound" }',
            '',
          ].join('\n'),
        },
      },
      args: ['--config', 'DIR/madman.yml'],
      wait: { 'postfix log': 'mail.log' },
      walk: WALK,
    });
  });

  it('inbound.log (postscreen, submission, smtps, pickup, refusals at every stage) gives postfix/inbound.walk', async () => {
    await expectGolden({
      golden: 'test/fixtures/postfix/inbound.walk',
      files: { 'mail.log': 'test/fixtures/postfix/inbound.log' },
      args: ['--postfix-log', 'DIR/mail.log'],
      wait: { 'postfix log': 'mail.log' },
      walk: WALK,
    });
  });
});

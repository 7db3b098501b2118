// The Postfix source's whole walk against its golden file (test/helpers/golden-walk.ts,
// docs/golden-walks.md): the fixture log replayed through `madman agent --from-start`.

import { expectGolden } from '../helpers/golden-walk.js';

describe('golden walk: Postfix', function () {
  this.timeout(90_000);

  it('real-3.7.log gives postfix/real-3.7.walk', async () => {
    await expectGolden({
      golden: 'test/fixtures/postfix/real-3.7.walk',
      files: { 'mail.log': 'test/fixtures/postfix/real-3.7.log' },
      args: ['--postfix-log', 'DIR/mail.log'],
      wait: { 'postfix log': 'mail.log' },
      walk: ['NETWORK-SERVICES-MIB::application', 'MTA-MIB::mta', 'MADMAN-MIB::madmanChannels', 'MADMAN-MIB::madmanSourceTable'],
    });
  });
});

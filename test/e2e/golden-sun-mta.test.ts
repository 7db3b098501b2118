// The Sun MTA source's whole walk against its golden file (test/helpers/golden-walk.ts,
// docs/golden-walks.md): the fixture log replayed through `madman agent --from-start`.

import { expectGolden } from '../helpers/golden-walk.js';

describe('golden walk: Sun MTA', function () {
  this.timeout(90_000);

  it('mail.log_current gives sun-mta/mail.log_current.walk', async () => {
    await expectGolden({
      golden: 'test/fixtures/sun-mta/mail.log_current.walk',
      files: { 'mail.log_current': 'test/fixtures/sun-mta/mail.log_current' },
      args: ['--sun-mta-log', 'DIR/mail.log_current'],
      wait: { 'sun-mta log': 'mail.log_current' },
      walk: ['NETWORK-SERVICES-MIB::application', 'MTA-MIB::mta', 'MADMAN-MIB::madmanChannels', 'MADMAN-MIB::madmanSourceTable'],
    });
  });
});

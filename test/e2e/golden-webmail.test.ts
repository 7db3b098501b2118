// The webmail source's whole walk against its golden file (test/helpers/golden-walk.ts,
// docs/golden-walks.md): Roundcube's userlogins fixture replayed through `madman agent
// --from-start`, without a status page (its URL would carry the run's port).

import { expectGolden } from '../helpers/golden-walk.js';

describe('golden walk: webmail', function () {
  this.timeout(90_000);

  it('userlogins.log (file and syslog lines, both date forms, X-Forwarded-For, a line that is no login) gives webmail/userlogins.walk', async () => {
    await expectGolden({
      golden: 'test/fixtures/webmail/userlogins.walk',
      files: {
        'userlogins.log': 'test/fixtures/webmail/userlogins.log',
        'madman.yml': { text: 'webmail:\n  log: DIR/userlogins.log\n' },
      },
      args: ['--config', 'DIR/madman.yml'],
      wait: { 'webmail log': 'userlogins.log' },
      walk: ['NETWORK-SERVICES-MIB::application', 'MADMAN-MIB::madmanServiceTable', 'MADMAN-MIB::madmanSourceTable'],
    });
  });
});

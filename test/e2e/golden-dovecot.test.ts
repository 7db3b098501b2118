// The Dovecot source's whole walk against its golden file (test/helpers/golden-walk.ts,
// docs/golden-walks.md): the fixture log replayed through `madman agent --from-start`,
// without doveadm (quotas and the `doveadm who` cross-check off).

import { expectGolden } from '../helpers/golden-walk.js';

describe('golden walk: Dovecot', function () {
  this.timeout(90_000);

  it('real-2.3.19.log gives dovecot/real-2.3.19.walk', async () => {
    await expectGolden({
      golden: 'test/fixtures/dovecot/real-2.3.19.walk',
      files: {
        'dovecot.log': 'test/fixtures/dovecot/real-2.3.19.log',
        'madman.yml': { text: 'dovecot:\n  log: DIR/dovecot.log\n  quotaInterval: 0\n  whoInterval: 0\n' },
      },
      args: ['--config', 'DIR/madman.yml'],
      wait: { 'dovecot log': 'dovecot.log' },
      walk: ['NETWORK-SERVICES-MIB::application', 'MADMAN-MIB::madmanServiceTable', 'MADMAN-MIB::madmanSourceTable'],
    });
  });

  it('formats.log (syslog frames, RFC 3339 stamps, 2.2 to 2.3.21 wordings, submission, LMTP, a kill) gives dovecot/formats.walk', async () => {
    await expectGolden({
      golden: 'test/fixtures/dovecot/formats.walk',
      files: {
        'dovecot.log': 'test/fixtures/dovecot/formats.log',
        'madman.yml': { text: 'dovecot:\n  log: DIR/dovecot.log\n  quotaInterval: 0\n  whoInterval: 0\n' },
      },
      args: ['--config', 'DIR/madman.yml'],
      wait: { 'dovecot log': 'dovecot.log' },
      walk: ['NETWORK-SERVICES-MIB::application', 'MADMAN-MIB::madmanServiceTable', 'MADMAN-MIB::madmanSourceTable'],
    });
  });
});

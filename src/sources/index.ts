// The built-in sources: importing this module registers each one's declaration (light:
// the running sources are imported when the settings turn them on). One line per source.
import './demo/index.js';
import './postfix/index.js';
import './probes/index.js';
import './sun-mta/index.js';
import './disks/index.js';
import './dovecot/index.js';
import './sendmail/index.js';
import './exim/index.js';

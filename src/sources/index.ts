// Importing this module registers every built-in source.
import './demo.js';
import './postfix/index.js';
import './probes/index.js';
import './sun-mta/index.js';
import './disks.js';
import './dovecot/index.js';

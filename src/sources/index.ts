// Importing this module registers every built-in source.
import './demo.js';
import './postfix/index.js';
import './dovecot/index.js';

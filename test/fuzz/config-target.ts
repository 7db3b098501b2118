// Fuzzing the config reader: valid files covering every section (settings, the
// snmpd.conf-style security lines, views, a secrets file of createUser lines) mutated
// line- and value-wise (lines dropped, doubled, swapped or re-indented; values made
// huge, negative, empty, binary, aliased or deeply nested; bytes flipped; a file cut
// short) and read as the CLI reads them. The oracle: reading either succeeds or fails
// with a ConfigError (exit 2 naming a key); any other exception, or a read that takes
// seconds, is a violation.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, settingsFrom } from '../../src/config/config.js';
import { prng } from '../helpers/prng.js';
import { int, pick, type Rng } from './ber-mutate.js';
import { heapMiB, type FuzzReport } from './snmp-target.js';

const BASES = [
  [
    'listen:',
    '  - udp:127.0.0.1:1161',
    '  - "udp6:[::1]:1161"',
    'communities:',
    '  - name: public',
    '    source: [127.0.0.0/8, "::1/128"]',
    'stateDir: state',
    'maxMessageSize: 1472',
    'maxGetbulkRepeats: 10',
    'maxGetbulkResponses: 100',
    'serverRecvBuf: 1048576',
    'logLevel: info',
    'system:',
    '  contact: ops@example.test',
    '  location: lab',
    'postfix:',
    '  log: /var/log/mail.log',
    '  queue: /etc/postfix',
    '  queueInterval: 60',
    'alarms:',
    '  diskavail:',
    '    threshold: 10',
    'disks: [/var/mail]',
  ],
  [
    'agentaddress: udp:127.0.0.1:1161',
    'view:',
    '  - mail included .1.3.6.1.2.1.27',
    '  - mail included .1.3.6.1.2.1.28',
    '  - mail excluded .1.3.6.1.2.1.28.2.1.25 ff:c0',
    'rocommunity:',
    '  - public 127.0.0.1 -V mail',
    'rocommunity6:',
    '  - public ::1',
    'createUser:',
    '  - alice SHA-256 "alice auth pass" AES "alice priv pass"',
    'rouser:',
    '  - alice priv -V mail',
    '  - bob auth',
    'secrets: secrets.conf',
    'dovecot:',
    '  log: /var/log/dovecot.log',
    '  quotaInterval: 300',
    'sunMta:',
    '  log: /opt/sun/comms/messaging/log/mail.log_current',
    'probes:',
    '  - smtp: 127.0.0.1:25',
    '    timeout: 5',
    '  - imap: 127.0.0.1:143',
    '    user: probe',
    '    passwordFile: probe.pass',
  ],
];
const SECRETS = ['# pass phrases', 'createUser bob SHA "bob auth pass"', 'createUser carol SHA-512 "carol auth pass" AES-256 "carol priv pass"'];

const VALUES = ['0', '-1', '99999999999999999999', '1e308', '.nan', '""', "''", '~', 'null', '[]', '{}', 'true', '"\\u0000"', '!!binary AAAA', '!!js/function "x"', '*nowhere', '&a [*a]', '"💥"', 'x'.repeat(5000), '0x10', '-0', '2147483648', '[udp:1.2.3.4:0, udp:1.2.3.4:0]', '/proc/x', '../../../../etc/passwd'];

function mutateLines(lines: string[], rng: Rng): string[] {
  const out = lines.length ? [...lines] : [''];
  const i = int(rng, out.length);
  switch (int(rng, 9)) {
    case 0:
      out.splice(i, 1);
      break;
    case 1:
      out.splice(i, 0, out[i]!);
      break;
    case 2: {
      const j = int(rng, out.length);
      [out[i], out[j]] = [out[j]!, out[i]!];
      break;
    }
    case 3:
      out[i] = pick(rng, ['', ' ', '  ', '\t', '    ']) + out[i]!.trimStart();
      break;
    case 4: {
      // a value replaced: after "key:" or a "- " item
      const line = out[i]!;
      const m = /^(\s*(?:- )?[\w.]*:?\s*)(.*)$/.exec(line);
      out[i] = `${m ? m[1] : ''}${pick(rng, VALUES)}`;
      break;
    }
    case 5: {
      // deep nesting
      const depth = pick(rng, [10, 100, 1000, 5000]);
      out[i] = `${out[i]!.split(':')[0]}: ${'['.repeat(depth)}${']'.repeat(depth)}`;
      break;
    }
    case 6: {
      // anchors and aliases, growing
      out.push('x: &x [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]');
      for (let k = 0, n = int(rng, 8); k < n; k++) out.push(`x${k}: &x${k} [${Array(10).fill(k ? `*x${k - 1}` : '*x').join(', ')}]`);
      break;
    }
    case 7: {
      const line = out[i]!;
      const c = int(rng, Math.max(1, line.length));
      out[i] = line.slice(0, c) + String.fromCharCode(pick(rng, [0, 9, 10, 13, 0x22, 0x27, 0x3a, 0x23, 0x7b, 0x5b, 0x26, 0x2a, 0x21, 0x7c, 0x3e, 0xfeff, 0xd800])) + line.slice(c + 1);
      break;
    }
    default:
      out.length = i;
  }
  return out;
}

export async function fuzzConfig(opts: { count: number; seed: number; progress?: (line: string) => void }): Promise<FuzzReport> {
  const rng = prng(opts.seed);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-fuzz-config-'));
  const report: FuzzReport = { target: 'config', cases: 0, answered: 0, violations: [], heapGrowthMiB: 0 };
  const file = path.join(dir, 'madman.yaml');
  const secrets = path.join(dir, 'secrets.conf');
  try {
    const heap0 = heapMiB();
    for (let i = 0; i < opts.count; i++) {
      let lines = pick(rng, BASES);
      for (let k = 1 + int(rng, 3); k > 0; k--) lines = mutateLines(lines, rng);
      let secretLines = SECRETS;
      if (rng() < 0.3) secretLines = mutateLines(SECRETS, rng);
      const text = lines.join(rng() < 0.1 ? '\r\n' : '\n');
      writeFileSync(file, text);
      writeFileSync(secrets, secretLines.join('\n'));
      chmodSync(secrets, 0o600);
      const t0 = performance.now();
      try {
        settingsFrom({ config: file });
        report.answered++; // read without error
      } catch (err) {
        if (!(err instanceof ConfigError)) {
          report.violations.push(`case ${i}: ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)} for:\n${text.slice(0, 600)}`);
        }
      }
      const ms = performance.now() - t0;
      if (ms > 5000) report.violations.push(`case ${i}: reading took ${ms.toFixed(0)} ms for:\n${text.slice(0, 600)}`);
      report.cases++;
      if (i % 500 === 499) opts.progress?.(`config: ${i + 1} cases, ${report.answered} valid, ${report.violations.length} violations`);
      // the event loop gets a turn, as the CLI's would
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    report.heapGrowthMiB = heapMiB() - heap0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

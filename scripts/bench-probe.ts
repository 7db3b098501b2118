// Probe benchmark: the response times madman's probes measure against a private Postfix
// and Dovecot on loopback, next to what the monitoring plugins (check_smtp, check_imap,
// check_pop) measure on the same servers, medians of N runs each.
//
//   npm run bench:probe -- [--repeat N]
//
// Needs root and the test packages (scripts/test-deps.sh); the servers are the tests'
// helpers, started in temporary directories and stopped at the end.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ProbeSpec } from '../src/sources/probes/config.js';
import { runProbe } from '../src/sources/probes/run.js';
import { startDovecot } from '../test/helpers/dovecot-server.js';
import { startPostfix } from '../test/helpers/postfix-server.js';

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '20' } } });
const repeat = Number(values.repeat);

function plugin(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(`/usr/lib/nagios/plugins/${cmd}`, args, (err, stdout) => {
      const m = /time=([\d.]+)s/.exec(String(stdout));
      if (!m) reject(new Error(`${cmd}: ${String(stdout)} ${String(err ?? '')}`));
      else resolve(Number(m[1]) * 1000);
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function times(f: () => Promise<number>): Promise<number> {
  const out: number[] = [];
  await f(); // warm-up
  for (let i = 0; i < repeat; i++) out.push(await f());
  return median(out);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-probe-'));
const postfix = await startPostfix();
const dovecot = await startDovecot();
try {
  const pw = path.join(dir, 'pw');
  writeFileSync(pw, 'secret\n');
  const base = { name: 'bench', host: '127.0.0.1', tls: 'none', tlsVerify: true, timeout: 10, interval: 60 } as const;
  const probe = (s: Partial<ProbeSpec> & Pick<ProbeSpec, 'protocol' | 'port'>) => async () => {
    const o = await runProbe({ ...base, ...s });
    if (!o.ok) throw new Error(o.reason);
    return o.totalMs;
  };
  const rows: Array<[string, number, string, number]> = [
    ['madman smtp (connect..QUIT)', await times(probe({ protocol: 'smtp', port: postfix.port })), 'check_smtp', await times(() => plugin('check_smtp', ['-H', '127.0.0.1', '-p', String(postfix.port)]))],
    ['madman imap (greeting, LOGOUT)', await times(probe({ protocol: 'imap', port: dovecot.imapPort })), 'check_imap', await times(() => plugin('check_imap', ['-H', '127.0.0.1', '-p', String(dovecot.imapPort)]))],
    ['madman pop3 (greeting, QUIT)', await times(probe({ protocol: 'pop3', port: dovecot.pop3Port })), 'check_pop', await times(() => plugin('check_pop', ['-H', '127.0.0.1', '-p', String(dovecot.pop3Port)]))],
  ];
  const login = await times(probe({ protocol: 'imap', port: dovecot.imapPort, user: 'user@example.test', passwordFile: pw }));
  console.log(`repeat ${repeat}, medians in ms`);
  for (const [a, x, b, y] of rows) console.log(`${a.padEnd(34)} ${x.toFixed(2).padStart(8)}   ${b.padEnd(12)} ${y.toFixed(2).padStart(8)}`);
  console.log(`${'madman imap (login..logout)'.padEnd(34)} ${login.toFixed(2).padStart(8)}`);
} finally {
  await postfix.stop();
  await dovecot.stop();
  rmSync(dir, { recursive: true, force: true });
}

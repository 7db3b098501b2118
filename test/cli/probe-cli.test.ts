// `madman probe` as a user runs it, against a real Postfix, a closed port, a port that
// never answers and an SMTP server that greets late; exit codes compared with the
// monitoring plugins' check_smtp on the same targets.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { run, type RunResult } from '../helpers/harness.js';
import { ADDR, freePorts, startPostfix, type PostfixServer } from '../helpers/postfix-server.js';
import { startSilentServer, startSlowSmtp, type TestServer } from '../helpers/probe-support.js';

const CHECK_SMTP = '/usr/lib/nagios/plugins/check_smtp';
const madman = (...args: string[]): Promise<RunResult> => run('node', ['dist/src/cli/main.js', 'probe', ...args]);
const checkSmtp = (...args: string[]): Promise<RunResult> => run(CHECK_SMTP, args);

const PERF = /\|time=\d+\.\d{6}s;([\d.]*);([\d.]*);0\.000000$/;

describe('madman probe (CLI)', function () {
  this.timeout(60000);
  let postfix: PostfixServer;
  let silent: TestServer;
  let slow: TestServer;
  let closed: number;
  let dir: string;

  before(async () => {
    postfix = await startPostfix();
    silent = await startSilentServer();
    slow = await startSlowSmtp(300);
    [closed] = (await freePorts(1)) as [number];
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-probe-cli-'));
  });

  after(async () => {
    await silent?.close();
    await slow?.close();
    await postfix?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('OK: exit 0, a check_smtp status line with perfdata, then the phases', async () => {
    const r = await madman('--smtp', `127.0.0.1:${postfix.port}`, '-w', '5', '-c', '10');
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^SMTP OK - \d+\.\d{3} sec\. response time, madman-test\.example\.test ESMTP Postfix\|/);
    expect(PERF.exec(lines[0]!)?.slice(1)).to.deep.equal(['5.000000', '10.000000']);
    expect(lines[1]).to.equal(`  cli smtp on 127.0.0.1 (127.0.0.1:${postfix.port})`);
    expect(lines.slice(2).map((l) => l.trim().split(/\s+/)[0])).to.deep.equal(['connect', 'greeting', 'ehlo', 'quit', 'total']);
    expect((await checkSmtp('-H', '127.0.0.1', '-p', String(postfix.port), '-w', '5', '-c', '10')).code).to.equal(0);
  });

  it('sends a test message through MAIL, RCPT, DATA: Postfix delivers it', async () => {
    const r = await madman('--smtp', `127.0.0.1:${postfix.port}`, '--from', ADDR.sender, '--to', ADDR.local, '--json');
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const [rep] = JSON.parse(r.stdout) as Array<{ status: string; phases: Array<{ name: string }>; reason: string }>;
    expect(rep!.status).to.equal('ok');
    expect(rep!.phases.map((p) => p.name)).to.deep.equal(['connect', 'greeting', 'ehlo', 'mail', 'rcpt', 'data', 'message', 'quit']);
    await postfix.waitForLog(/postfix-test\/local\[\d+\]: \w+: to=<tester@localhost>.*status=sent/);
  });

  it('a refused recipient is CRITICAL with the server\'s answer as the reason', async () => {
    const r = await madman('--smtp', `127.0.0.1:${postfix.port}`, '--to', ADDR.rejected);
    expect(r.code).to.equal(2);
    expect(r.stdout.split('\n')[0]).to.match(
      /^SMTP CRITICAL - \d+\.\d{3} sec\. response time, rcpt: 554 5\.7\.1 <blocked@example\.test>: Recipient address rejected: Access denied\|/,
    );
  });

  it('AUTH (--smtp-user) against a server that offers none is CRITICAL, naming the phase; --user alone skips it', async () => {
    const pw = path.join(dir, 'pw');
    writeFileSync(pw, 'secret\n');
    const r = await madman('--smtp', `127.0.0.1:${postfix.port}`, '--smtp-user', 'someone', '--password-file', pw);
    expect(r.code).to.equal(2);
    expect(r.stdout).to.contain('auth: the server offers no AUTH (STARTTLS first?)');
    const shared = await madman('--smtp', `127.0.0.1:${postfix.port}`, '--user', 'someone', '--password-file', pw);
    expect(shared.code, shared.stdout).to.equal(0);
    const missing = await madman('--smtp', `127.0.0.1:${postfix.port}`, '--smtp-user', 'someone', '--password-file', path.join(dir, 'nope'));
    expect(missing.code).to.equal(2);
    expect(missing.stdout).to.contain(`password: cannot read password file ${path.join(dir, 'nope')}: ENOENT`);
  });

  it('STARTTLS against a server without it is CRITICAL', async () => {
    const r = await madman('--smtp', `127.0.0.1:${postfix.port}`, '--starttls');
    expect(r.code).to.equal(2);
    expect(r.stdout).to.contain('starttls: the server does not offer STARTTLS');
  });

  it('a closed port is CRITICAL, as for check_smtp', async () => {
    const r = await madman('--smtp', `127.0.0.1:${closed}`);
    expect(r.code).to.equal(2);
    expect(r.stdout).to.contain(`SMTP CRITICAL - `);
    expect(r.stdout).to.contain(`connect: connect ECONNREFUSED 127.0.0.1:${closed}`);
    expect((await checkSmtp('-H', '127.0.0.1', '-p', String(closed))).code).to.equal(2);
  });

  it('a port that never answers is CRITICAL after the timeout, as for check_smtp', async () => {
    const r = await madman('--smtp', `127.0.0.1:${silent.port}`, '--timeout', '1');
    expect(r.code).to.equal(2);
    expect(r.stdout).to.contain('greeting: no answer with a greeting within 1 s');
    expect((await checkSmtp('-H', '127.0.0.1', '-p', String(silent.port), '-t', '1')).code).to.equal(2);
  });

  it('slower than -w is WARNING, slower than -c CRITICAL, as for check_smtp', async () => {
    const target = ['--smtp', `127.0.0.1:${slow.port}`];
    const w = await madman(...target, '-w', '0.1', '-c', '5');
    expect(w.code, w.stdout).to.equal(1);
    expect(w.stdout).to.match(/^SMTP WARNING - \d+\.\d{3} sec\. response time, response time \d+\.\d{3} s over the warning threshold of 0\.1 s\|time=\d+\.\d{6}s;0\.100000;5\.000000;0\.000000\n/);
    const c = await madman(...target, '-w', '0.05', '-c', '0.1');
    expect(c.code).to.equal(2);
    expect((await checkSmtp('-H', '127.0.0.1', '-p', String(slow.port), '-w', '0.1', '-c', '5')).code).to.equal(1);
    expect((await checkSmtp('-H', '127.0.0.1', '-p', String(slow.port), '-w', '0.05', '-c', '0.1')).code).to.equal(2);
  });

  it('several targets: the worst decides the exit code', async () => {
    const r = await madman('--smtp', `127.0.0.1:${postfix.port}`, '--smtp', `127.0.0.1:${slow.port}`, '-w', '0.1', '-c', '5', '--json');
    const reps = JSON.parse(r.stdout) as Array<{ status: string; responseMs: number; reason: string }>;
    // each state follows from the time the command measured (how fast Postfix answers is not the point)
    const judged = (x: { responseMs: number; reason: string }) =>
      x.reason && !/^response time/.test(x.reason) ? 'critical' : x.responseMs > 5000 ? 'critical' : x.responseMs > 100 ? 'warning' : 'ok';
    expect(reps.map((x) => x.status)).to.deep.equal(reps.map(judged));
    // the slow server greets after 300 ms: never ok at -w 0.1
    expect(reps[1]!.status).to.not.equal('ok');
    const code = { ok: 0, warning: 1, critical: 2 } as Record<string, number>;
    expect(r.code).to.equal(Math.max(...reps.map((x) => code[x.status]!)));
  });

  it('bad arguments are UNKNOWN (3), as for check_smtp', async () => {
    const none = await madman();
    expect(none.code).to.equal(3);
    expect(none.stdout).to.match(/^PROBE UNKNOWN - nothing to probe/);
    const port = await madman('--smtp', '127.0.0.1:99999');
    expect(port.code).to.equal(3);
    expect(port.stdout).to.equal('PROBE UNKNOWN - "127.0.0.1:99999": port out of range\n');
    const w = await madman('--smtp', '127.0.0.1:25', '-w', 'soon');
    expect(w.code).to.equal(3);
    expect(w.stdout).to.equal('PROBE UNKNOWN - -w needs a positive number of seconds, not "soon"\n');
    // 3000000 s would overflow setTimeout and time out every check at once
    const t = await madman('--smtp', '127.0.0.1:25', '-t', '3000000');
    expect(t.code).to.equal(3);
    expect(t.stdout).to.equal('PROBE UNKNOWN - --timeout 3000000: at most 86400 seconds\n');
    const c = await madman('--smtp', '127.0.0.1:25', '-w', '5', '-c', '90000');
    expect(c.code).to.equal(3);
    expect(c.stdout).to.equal('PROBE UNKNOWN - -c 90000: at most 86400 seconds\n');
    const wc = await madman('--smtp', '127.0.0.1:25', '-w', '5', '-c', '2');
    expect(wc.code).to.equal(3);
    expect(wc.stdout).to.equal('PROBE UNKNOWN - -w is greater than -c\n');
    expect((await checkSmtp('-H', '127.0.0.1', '-w', 'soon')).code).to.equal(3);
    expect((await checkSmtp()).code).to.equal(3);
  });

  it('--config probes the configured services; a bad config exits 2 naming key and line', async () => {
    const good = path.join(dir, 'good.yml');
    writeFileSync(good, `probes:\n  - name: mx\n    protocol: smtp\n    host: 127.0.0.1\n    port: ${postfix.port}\n`);
    const r = await madman('--config', good);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout.split('\n')[1]).to.equal(`  mx smtp on 127.0.0.1 (127.0.0.1:${postfix.port})`);
    const bad = path.join(dir, 'bad.yml');
    writeFileSync(bad, `probes:\n  - name: mx\n    protocol: smtp\n    host: 127.0.0.1\n    tls: sometimes\n`);
    const b = await madman('--config', bad);
    expect(b.code).to.equal(2);
    expect(b.stderr).to.equal(`madman: bad configuration: ${bad}:5: probes[0].tls: must be one of none, implicit, starttls\n`);
    expect(existsSync(bad)).to.equal(true);
  });
});

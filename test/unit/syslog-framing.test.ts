// The kit's syslog framing (src/sources/kit/syslog.ts), shared by every syslog-fed source:
// stamps, year inference from an injected clock, host, program[pid], and the program filter.

import { expect } from 'chai';
import { SyslogFramer } from '../../src/sources/kit/syslog.js';

const local = (y: number, mo: number, d: number, h: number, mi: number, s: number) => new Date(y, mo - 1, d, h, mi, s).getTime();

describe('kit: syslog framing', () => {
  const at = (now: number) => new SyslogFramer({ program: (name) => (name.startsWith('mail') ? name.toUpperCase() : undefined), clock: () => now });

  it('reads a BSD line: the year from the injected clock, host, program, pid, message', () => {
    const f = at(local(2031, 1, 2, 0, 0, 0)).parse('Dec 31 23:59:58.250 mx1 mailer[42]: hello: world')!;
    // a December line read on January 2nd is last year's
    expect(f).to.deep.equal({ time: local(2030, 12, 31, 23, 59, 58) + 250, host: 'mx1', program: 'mailer', info: 'MAILER', pid: 42, message: 'hello: world' });
    expect(at(local(2031, 11, 30, 0, 0, 0)).parse('Dec  1 00:00:00 mx1 mailer: x')!.time).to.equal(local(2031, 12, 1, 0, 0, 0));
  });

  it('reads RFC 3339 stamps with a zone or without (local time), and lines without a host', () => {
    const p = at(0);
    expect(p.parse('2026-11-29T17:04:47.5+01:00 mx mailer[1]: a')!.time).to.equal(Date.UTC(2026, 10, 29, 16, 4, 47, 500));
    expect(p.parse('2026-11-29T17:04:47 mailer: b')).to.deep.equal({ time: local(2026, 11, 29, 17, 4, 47), host: undefined, program: 'mailer', info: 'MAILER', pid: 0, message: 'b' });
  });

  it('a line without a stamp gets the clock time; other programs and broken frames give nothing', () => {
    const p = at(1234);
    expect(p.parse('mailer[7]: bare')).to.deep.equal({ time: 1234, host: undefined, program: 'mailer', info: 'MAILER', pid: 7, message: 'bare' });
    expect(p.parse('Nov 29 17:04:47 mx sshd[1]: no')).to.equal(undefined);
    expect(p.parse('Nov 29 17:04:47 mx mailer[1x]: no')).to.equal(undefined);
    expect(p.parse('2026-11-29 17:04:47 mx mailer: no')).to.equal(undefined);
    expect(p.programInfo('mailq')).to.equal('MAILQ');
    expect(p.programInfo('cron')).to.equal(undefined);
  });

  it('header() gives where the stamp ends and where the program starts, for a source with its own frame', () => {
    const h = at(0).header('2026-11-29T20:06:49+00:00 imap(u@x)<1><s>: Info: Disconnected')!;
    expect(h).to.deep.equal({ time: Date.UTC(2026, 10, 29, 20, 6, 49), host: undefined, afterStamp: 26, at: 26 });
  });
});

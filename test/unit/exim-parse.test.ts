// Exim's log language (src/sources/exim/parse.ts), on lines a real Exim 4.96 wrote
// (test/fixtures/exim/*, captured with test/helpers/exim-server.ts under several
// log_selector settings: the tests' own, Exim's defaults less everything (-all), Debian's,
// +all, and +all with log_timezone), plus the 4.97 message id shape from Exim's sources.

import { expect } from 'chai';
import type { EximEvent } from '../../src/sources/exim/events.js';
import { EximLineParser, eximSeconds, isMessageId, messageIdTime } from '../../src/sources/exim/parse.js';
import { fixture } from './exim-support.js';

const ev = (line: string): EximEvent => {
  const e = new EximLineParser().parse(line);
  expect(e, line).to.not.equal(undefined);
  return e!.event;
};

const local = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0) => new Date(y, mo - 1, d, h, mi, s, ms).getTime();

describe('Exim log lines', () => {
  describe('timestamps, pids and message ids', () => {
    it('reads the plain timestamp as local time', () => {
      const e = new EximLineParser().parse('2026-12-07 22:36:23 1xahJm-0001i4-2x Completed')!;
      expect(e.time).to.equal(local(2026, 12, 7, 22, 36, 23));
      expect(e.pid).to.equal(undefined);
      expect(e.event).to.deep.equal({ kind: 'completed', id: '1xahJm-0001i4-2x' });
    });

    it('reads +millisec and +pid (log_selector +all)', () => {
      const e = new EximLineParser().parse('2026-12-07 22:37:03.538 [7728] 1xahKR-00020b-1C Completed QT=0.164s')!;
      expect(e.time).to.equal(local(2026, 12, 7, 22, 37, 3, 538));
      expect(e.pid).to.equal(7728);
      expect(e.event).to.deep.equal({ kind: 'completed', id: '1xahKR-00020b-1C' });
    });

    it('reads the zone of log_timezone = true exactly, whatever the local zone', () => {
      const e = new EximLineParser().parse('2026-12-07 22:37:45.351 +0000 [8574] exim 4.96 daemon started: pid=8574, no queue runs, listening for SMTP on [127.0.0.1]:{34773,39673}')!;
      expect(e.time).to.equal(Date.UTC(2026, 11, 7, 22, 37, 45, 351));
      expect(e.pid).to.equal(8574);
      expect(e.event).to.deep.equal({ kind: 'daemon', version: '4.96', pid: 8574 });
      const east = new EximLineParser().parse('2026-12-07 23:37:45 +0100 1xahKR-00020b-1C Completed')!;
      expect(east.time).to.equal(Date.UTC(2026, 11, 7, 22, 37, 45));
      const west = new EximLineParser().parse('2026-12-07 17:07:45 -0530 1xahKR-00020b-1C Completed')!;
      expect(west.time).to.equal(Date.UTC(2026, 11, 7, 22, 37, 45));
    });

    it('knows 4.96 ids (6-6-2) and 4.97 ids (6-11-4), and when they were made', () => {
      expect(isMessageId('1xahJm-0001i4-2x')).to.equal(true);
      expect(isMessageId('1rmPcZ-00000009TC-00Bz')).to.equal(false); // 22 characters
      expect(isMessageId('1xahJm-000000001i4-02xA')).to.equal(true);
      expect(isMessageId('1xahJm-0001i4-2')).to.equal(false);
      expect(isMessageId('1xah-m-0001i4-2x')).to.equal(false);
      // base 62 seconds: 1xahJm of a message received at 2026-12-07 22:36:22 UTC
      expect(messageIdTime('1xahJm-0001i4-2x')).to.equal(Date.UTC(2026, 11, 7, 22, 36, 22));
      expect(messageIdTime('1xahJm-000000001i4-02xA')).to.equal(Date.UTC(2026, 11, 7, 22, 36, 22));
      const e = ev('2026-12-07 22:36:23 1xahJm-000000001i4-02xA => bob <bob@example.test> R=local_user T=local_delivery');
      expect(e).to.include({ kind: 'delivery', id: '1xahJm-000000001i4-02xA', address: 'bob' });
    });

    it('takes lines without a timestamp as the continuation of the entry before', () => {
      const p = new EximLineParser();
      expect(p.parse(' Suggested action: either install a certificate or change tls_advertise_hosts option')).to.equal(undefined);
      expect(p.parse('Envelope-from: <alice@far.test>')).to.equal(undefined);
      expect(p.parse('P Received: from [127.0.0.1] (port=47864 helo=client.example.test)')).to.equal(undefined);
      expect(p.parse('\tby mx.example.test with esmtp (Exim 4.96)')).to.equal(undefined);
      expect(p.parse('')).to.equal(undefined);
    });

    it('reads Exim time intervals', () => {
      expect(eximSeconds('5m')).to.equal(300);
      expect(eximSeconds('1h30m')).to.equal(5400);
      expect(eximSeconds('2d')).to.equal(172800);
      expect(eximSeconds('45')).to.equal(45);
      expect(eximSeconds('x')).to.equal(0);
    });
  });

  describe('arrivals (<=)', () => {
    it('SMTP with the tests\' selector: host, port, interface, protocol, size, recipients', () => {
      expect(
        ev('2026-12-07 22:36:23 1xahJn-0001iR-2D <= alice@far.test H=(client.example.test) [127.0.0.1]:47830 I=[127.0.0.1]:37027 P=esmtp S=483 id=20261207223623.006586@vm for bob@example.test carol@example.test someone@relay.test other@relay.test'),
      ).to.deep.equal({
        kind: 'arrival',
        id: '1xahJn-0001iR-2D',
        sender: 'alice@far.test',
        protocol: 'esmtp',
        size: 483,
        host: { name: '', helo: 'client.example.test', addr: '127.0.0.1', port: 47830 },
        iface: { addr: '127.0.0.1', port: 37027 },
        recipients: ['bob@example.test', 'carol@example.test', 'someone@relay.test', 'other@relay.test'],
      });
    });

    it('with -all: no port, no interface, no recipients, no id=', () => {
      expect(ev('2026-12-07 22:37:03 1xahKR-00020U-0J <= alice@far.test H=(client.example.test) [127.0.0.1] P=esmtp S=433')).to.deep.equal({
        kind: 'arrival',
        id: '1xahKR-00020U-0J',
        sender: 'alice@far.test',
        protocol: 'esmtp',
        size: 433,
        host: { name: '', helo: 'client.example.test', addr: '127.0.0.1' },
      });
    });

    it('with +all: pipelining, 8BITMIME, receive time, subject, received_sender', () => {
      const e = ev(
        '2026-12-07 22:37:03.414 [7725] 1xahKR-00020b-1C <= alice@far.test H=(client.example.test) [127.0.0.1]:52594 I=[127.0.0.1]:39563 P=esmtp L.- S=444 M8S=0 RT=0.008s id=20261207223703.007709@vm T="hello" from <alice@far.test> for bob@example.test',
      );
      expect(e).to.deep.include({ sender: 'alice@far.test', protocol: 'esmtp', size: 444, recipients: ['bob@example.test'] });
    });

    it('submission with AUTH, and with TLS and AUTH', () => {
      expect(
        ev('2026-12-07 22:36:31 1xahJv-0001oh-2c <= alice@example.test H=(client.example.test) [127.0.0.1]:35436 I=[127.0.0.1]:33033 P=esmtpa A=plain:alice S=463 id=20261207223631.006967@vm for someone@relay.test'),
      ).to.deep.include({ protocol: 'esmtpa', auth: 'plain:alice', size: 463, iface: { addr: '127.0.0.1', port: 33033 } });
      expect(
        ev('2026-12-07 22:36:34 1xahJy-0001pM-0q <= alice@example.test H=(client.example.test) [127.0.0.1]:40762 I=[127.0.0.1]:33033 P=esmtpsa X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256 CV=no A=plain:alice S=517 id=20261207223633.007023@vm for someone@relay.test'),
      ).to.deep.include({ protocol: 'esmtpsa', auth: 'plain:alice', size: 517 });
    });

    it('local submission (U=) and Exim\'s own bounce (<> R=id)', () => {
      expect(ev('2026-12-07 22:36:35 1xahJz-0001pg-05 <= root@example.test U=root P=local S=307 for bob@example.test')).to.deep.equal({
        kind: 'arrival',
        id: '1xahJz-0001pg-05',
        sender: 'root@example.test',
        protocol: 'local',
        size: 307,
        user: 'root',
        recipients: ['bob@example.test'],
      });
      expect(ev('2026-12-07 22:36:28 1xahJs-0001lq-2n <= <> R=1xahJs-0001lh-1s U=Debian-exim P=local S=1981 for bob@example.test')).to.deep.equal({
        kind: 'arrival',
        id: '1xahJs-0001lq-2n',
        sender: '',
        bounceOf: '1xahJs-0001lh-1s',
        protocol: 'local',
        size: 1981,
        user: 'Debian-exim',
        recipients: ['bob@example.test'],
      });
    });

    it('a hostile sender, subject and recipient change neither the size nor the fields', () => {
      // real: MAIL FROM:<"a => b S=99999 P=esmtpsa"@far.test>, Subject: s" S=55555 for x@y "
      const e = ev(
        '2026-12-07 22:40:51.798 [12545] 1xahO7-0003GL-2U <= "a => b S=99999 P=esmtpsa"@far.test H=(h.test) [127.0.0.1]:56338 I=[127.0.0.1]:40335 P=esmtp L.- S=318 M8S=0 RT=0.005s T="s\\" S=55555 for x@y \\"" from <"a => b S=99999 P=esmtpsa"@far.test> for bob@example.test',
      );
      expect(e).to.deep.include({ kind: 'arrival', sender: '"a => b S=99999 P=esmtpsa"@far.test', protocol: 'esmtp', size: 318, recipients: ['bob@example.test'] });
      const r = ev(
        '2026-12-07 22:40:52.138 [12552] 1xahO8-0003GS-0M <= alice@far.test H=(h.test) [127.0.0.1]:56354 I=[127.0.0.1]:40335 P=esmtp L.- S=5201 M8S=0 RT=0.003s T="xxxx" from <alice@far.test> for "q => r@x T=remote_smtp"@example.test bob@example.test',
      );
      expect(r).to.deep.include({ size: 5201, recipients: ['"q => r@x T=remote_smtp"@example.test', 'bob@example.test'] });
    });

    it('a Message-ID or subject saying S= after the real S= is not read', () => {
      // made up: Exim writes id= after S=, and T= quoted
      const e = ev('2026-12-07 22:40:51 1xahO7-0003GL-2U <= a@b.test H=[127.0.0.1] P=smtp S=10 id="x S=99 for z@y"@h T="S=98" for c@d.test');
      expect(e).to.deep.include({ size: 10, recipients: ['c@d.test'] });
    });

    it('an arrival without S= or P= is not understood', () => {
      expect(ev('2026-12-07 22:40:51 1xahO7-0003GL-2U <= a@b.test H=[127.0.0.1] P=smtp').kind).to.equal('unparsed');
    });
  });

  describe('deliveries (=> -> >> *>)', () => {
    it('local delivery: address, original, router, transport, size', () => {
      expect(ev('2026-12-07 22:36:23 1xahJm-0001i4-2x => bob <bob@example.test> R=local_user T=local_delivery S=597')).to.deep.equal({
        kind: 'delivery',
        id: '1xahJm-0001i4-2x',
        flag: '=>',
        address: 'bob',
        original: 'bob@example.test',
        router: 'local_user',
        transport: 'local_delivery',
        size: 597,
      });
    });

    it('remote delivery with its confirmation, and the next address of one transaction (->)', () => {
      expect(
        ev('2026-12-07 22:36:24 1xahJn-0001iR-2D => someone@relay.test R=to_sinks T=remote_smtp S=501 H=127.0.0.2 [127.0.0.2] I=[127.0.0.1] C="250 2.0.0 Ok: queued as SINK1"'),
      ).to.deep.equal({
        kind: 'delivery',
        id: '1xahJn-0001iR-2D',
        flag: '=>',
        address: 'someone@relay.test',
        router: 'to_sinks',
        transport: 'remote_smtp',
        host: { name: '127.0.0.2', helo: '', addr: '127.0.0.2' },
        size: 501,
      });
      expect(ev('2026-12-07 22:36:24 1xahJn-0001iR-2D -> other@relay.test R=to_sinks T=remote_smtp S=501 H=127.0.0.2 [127.0.0.2] I=[127.0.0.1] C="250 2.0.0 Ok: queued as SINK1"')).to.deep.include({
        flag: '->',
        address: 'other@relay.test',
        transport: 'remote_smtp',
      });
    });

    it('+all: sender and return path before R=, the remote port', () => {
      expect(
        ev('2026-12-07 22:37:05.934 [7762] 1xahKT-000219-0j => someone@relay.test F=<alice@far.test> P=<alice@far.test> R=to_sinks T=remote_smtp S=501 H=127.0.0.2 [127.0.0.2]:40549 I=[127.0.0.1]:43800 C="250 2.0.0 Ok: queued as SINK1" QT=0.703s DT=0.291s'),
      ).to.deep.include({ router: 'to_sinks', transport: 'remote_smtp', size: 501, host: { name: '127.0.0.2', helo: '', addr: '127.0.0.2', port: 40549 } });
    });

    it('a message down a connection already open (]*)', () => {
      // real, from a first capture where every sink shared 127.0.0.1
      expect(ev('2026-12-07 22:29:12 1xahCp-0008NO-18 => someone@expire.test R=to_sinks T=remote_smtp S=475 H=127.0.0.1 [127.0.0.1]* I=[127.0.0.1] C="250 2.0.0 Ok: queued as SINK4"')).to.deep.include({
        host: { name: '127.0.0.1', helo: '', addr: '127.0.0.1', reused: true },
      });
    });

    it('cutthrough (>>) and suppressed (*>)', () => {
      expect(ev('2026-12-07 22:36:31 1xahJv-0001oC-0Y >> someone@cutthrough.test R=to_sinks T=remote_smtp S=489 H=127.0.0.2 [127.0.0.2] I=[127.0.0.1] C="250 2.0.0 Ok: queued as SINK2"')).to.deep.include({
        flag: '>>',
        transport: 'remote_smtp',
      });
      expect(ev('2026-12-07 22:36:35 1xahJz-0001po-1V *> bob <bob@example.test> R=local_user T=local_delivery S=0')).to.deep.include({ flag: '*>', size: 0 });
    });

    it('documented shapes: a pipe with its parent, :blackhole:', () => {
      // exim spec 53.7 / 53.8 (not produced here)
      expect(ev('2002-10-31 08:59:13 16ZCW1-0005MB-00 => |/usr/bin/proc (marv@hitch.fict.example) <postmaster@hitch.fict.example> R=userforward T=address_pipe')).to.deep.include({
        address: '|/usr/bin/proc',
        original: 'postmaster@hitch.fict.example',
        router: 'userforward',
        transport: 'address_pipe',
      });
      expect(ev('1999-03-02 09:44:33 10HmaX-0005vi-00 => :blackhole: <hole@nowhere.example> R=blackhole_router')).to.deep.equal({
        kind: 'delivery',
        id: '10HmaX-0005vi-00',
        flag: '=>',
        address: ':blackhole:',
        original: 'hole@nowhere.example',
        router: 'blackhole_router',
      });
    });
  });

  describe('failures (**) and deferrals (==)', () => {
    it('a remote 550 5.1.1', () => {
      expect(
        ev('2026-12-07 22:36:28 1xahJs-0001lh-1s ** nobody@bounce.test R=to_sinks T=remote_smtp H=127.0.0.3 [127.0.0.3] I=[127.0.0.1]: SMTP error from remote mail server after RCPT TO:<nobody@bounce.test>: 550 5.1.1 <nobody@bounce.test>: Recipient address rejected: User unknown'),
      ).to.deep.equal({
        kind: 'failure',
        id: '1xahJs-0001lh-1s',
        deferred: false,
        address: 'nobody@bounce.test',
        router: 'to_sinks',
        transport: 'remote_smtp',
        host: { name: '127.0.0.3', helo: '', addr: '127.0.0.3' },
        reason: 'SMTP error from remote mail server after RCPT TO:<nobody@bounce.test>: 550 5.1.1 <nobody@bounce.test>: Recipient address rejected: User unknown',
      });
    });

    it('a closed port, with and without DT=', () => {
      expect(ev('2026-12-07 22:36:27 1xahJr-0001k9-0p == someone@remote.test R=to_sinks T=remote_smtp defer (111): Connection refused')).to.deep.equal({
        kind: 'failure',
        id: '1xahJr-0001k9-0p',
        deferred: true,
        address: 'someone@remote.test',
        router: 'to_sinks',
        transport: 'remote_smtp',
        errno: 111,
        reason: 'Connection refused',
      });
      expect(ev('2026-12-07 22:24:04 1xah7s-0005vy-1P == x@remote.test R=relay T=remote_smtp defer (111): Connection refused DT=0s')).to.deep.include({ errno: 111, reason: 'Connection refused' });
      expect(ev('2026-12-07 22:37:14.330 [7926] 1xahKc-00023m-0R == someone@remote.test R=to_sinks T=remote_smtp defer (111): Connection refused DT=0.000s')).to.deep.include({ reason: 'Connection refused' });
    });

    it('a remote 451 4.3.0, with +all putting DT= before the text', () => {
      expect(
        ev('2026-12-07 22:37:15.832 [7948] 1xahKd-000249-1m == someone@tempfail.test R=to_sinks T=remote_smtp defer (-44) H=127.0.0.4 [127.0.0.4]:45813 I=[127.0.0.1]:53188 DT=0.000s: SMTP error from remote mail server after RCPT TO:<someone@tempfail.test>: 451 4.3.0 <someone@tempfail.test>: Temporary lookup failure'),
      ).to.deep.include({
        errno: -44,
        transport: 'remote_smtp',
        host: { name: '127.0.0.4', helo: '', addr: '127.0.0.4', port: 45813 },
        reason: 'SMTP error from remote mail server after RCPT TO:<someone@tempfail.test>: 451 4.3.0 <someone@tempfail.test>: Temporary lookup failure',
      });
    });

    it('retry time not reached: routing and remote', () => {
      expect(ev('2026-12-07 22:36:38 1xahJr-0001ku-2x == someone@tempfail.test routing defer (-52): retry time not reached')).to.deep.equal({
        kind: 'failure',
        id: '1xahJr-0001ku-2x',
        deferred: true,
        address: 'someone@tempfail.test',
        errno: -52,
        routing: true,
        reason: 'retry time not reached',
      });
      expect(ev('2026-12-07 22:37:41.753 [8472] 1xahKd-000249-1m == someone@tempfail.test routing defer (-52) DT=0.000s: retry time not reached')).to.deep.include({ errno: -52, reason: 'retry time not reached' });
      expect(ev("2026-12-07 22:36:41 1xahJr-0001k9-0p == someone@remote.test R=to_sinks T=remote_smtp defer (-54): retry time not reached for any host for 'remote.test'")).to.deep.include({
        errno: -54,
        transport: 'remote_smtp',
        reason: "retry time not reached for any host for 'remote.test'",
      });
    });

    it('routing failures have no router or transport', () => {
      expect(ev('2026-12-07 22:36:29 1xahJt-0001mX-2O ** who@nowhere.test: Unrouteable address')).to.deep.equal({
        kind: 'failure',
        id: '1xahJt-0001mX-2O',
        deferred: false,
        address: 'who@nowhere.test',
        reason: 'Unrouteable address',
      });
      expect(ev('2026-12-07 22:37:20.279 [8041] 1xahKi-00025f-0O ** who@nowhere.test F=<alice@far.test>: Unrouteable address DT=0.000s')).to.deep.include({ address: 'who@nowhere.test', reason: 'Unrouteable address' });
      expect(ev('2026-12-07 22:36:34 1xahJy-0001pa-2C ** bob@example.test: Too many "Received" headers - suspected mail loop')).to.deep.include({ reason: 'Too many "Received" headers - suspected mail loop' });
      expect(ev('2026-12-07 22:36:38 1xahJu-0001nN-1M ** someone@expire.test: retry timeout exceeded')).to.deep.include({ reason: 'retry timeout exceeded' });
      expect(ev('2026-12-07 22:36:29 1xahJt-0001mB-0V == someone@self.test R=to_self defer (-1): remote host address is the local host')).to.deep.include({
        router: 'to_self',
        errno: -1,
        reason: 'remote host address is the local host',
      });
    });

    it('the delivered form of a quoted local part with spaces is one address', () => {
      const e = ev('2026-12-07 22:40:52.161 [12553] 1xahO8-0003GS-0M ** q => r@x t=remote_smtp@example.test <"q => r@x T=remote_smtp"@example.test> F=<alice@far.test>: Unrouteable address DT=0.000s');
      expect(e).to.deep.equal({
        kind: 'failure',
        id: '1xahO8-0003GS-0M',
        deferred: false,
        address: 'q => r@x t=remote_smtp@example.test',
        original: '"q => r@x T=remote_smtp"@example.test',
        reason: 'Unrouteable address',
      });
    });
  });

  describe('message states', () => {
    it('completed, frozen, thawed, removed', () => {
      expect(ev('2026-12-07 22:36:29 1xahJt-0001mB-0V Frozen')).to.deep.equal({ kind: 'frozen', id: '1xahJt-0001mB-0V' });
      expect(ev('2026-12-07 22:36:29 1xahJt-0001ma-2j Frozen (delivery error message)')).to.deep.equal({ kind: 'frozen', id: '1xahJt-0001ma-2j' });
      expect(ev('2026-12-07 22:36:42 1xahJr-0001k9-0p frozen by root')).to.deep.equal({ kind: 'frozen', id: '1xahJr-0001k9-0p' });
      expect(ev('2026-12-07 22:24:05 1xah7s-0005wO-2S Process failed (1) when writing error message to bob@example.test (frozen)')).to.deep.equal({ kind: 'frozen', id: '1xah7s-0005wO-2S' });
      expect(ev('2026-12-07 22:36:38 1xahJy-0001pc-2Z Message is frozen')).to.deep.equal({ kind: 'frozen', id: '1xahJy-0001pc-2Z', still: true });
      expect(ev('2026-12-07 22:36:41 1xahK3-0001sd-0C Unfrozen by forced delivery')).to.deep.equal({ kind: 'thawed', id: '1xahK3-0001sd-0C' });
      expect(ev('2026-12-07 22:36:42 1xahJt-0001mB-0V unfrozen by root')).to.deep.equal({ kind: 'thawed', id: '1xahJt-0001mB-0V' });
      expect(ev('2026-12-07 22:36:42 1xahJr-0001k9-0p removed by root')).to.deep.equal({ kind: 'removed', id: '1xahJr-0001k9-0p', by: 'root' });
      expect(ev('2026-12-07 22:36:27 1xahJr-0001k9-0p H=127.0.0.5 [127.0.0.5] Connection refused')).to.deep.equal({ kind: 'message-note', id: '1xahJr-0001k9-0p', text: 'H=127.0.0.5 [127.0.0.5] Connection refused' });
    });
  });

  describe('SMTP connections', () => {
    it('opening and the ways one ends', () => {
      const host = { name: '', helo: '', addr: '127.0.0.1', port: 47820 };
      const iface = { addr: '127.0.0.1', port: 37027 };
      expect(ev('2026-12-07 22:36:22 SMTP connection from [127.0.0.1]:47820 I=[127.0.0.1]:37027 (TCP/IP connection count = 1)')).to.deep.equal({ kind: 'connect', host, iface });
      expect(ev('2026-12-07 22:36:22 SMTP connection from (client.example.test) [127.0.0.1]:47820 I=[127.0.0.1]:37027 closed by QUIT')).to.deep.equal({
        kind: 'disconnect',
        how: 'quit',
        host: { ...host, helo: 'client.example.test' },
        iface,
      });
      expect(ev('2026-12-07 22:36:26 SMTP connection from (client.example.test) [127.0.0.1]:47866 I=[127.0.0.1]:37027 closed by DROP in ACL')).to.deep.include({ how: 'drop' });
      expect(ev('2026-12-07 22:36:36 SMTP connection from (ok.test) [127.0.0.1]:41272 I=[127.0.0.1]:37027 lost while reading message data')).to.deep.include({ how: 'lost' });
      expect(ev('2026-12-07 22:37:38.554 [8398] SMTP connection from (ok.test) [127.0.0.1]:33560 I=[127.0.0.1]:39563 lost D=0.318s')).to.deep.include({ how: 'lost' });
      expect(ev('2026-12-07 22:34:16 1xahCu-0008PZ-1I SMTP data timeout (message abandoned) on connection from (ok.test) [127.0.0.1]:55306 F=<a@far.test>')).to.deep.equal({
        kind: 'disconnect',
        how: 'timeout',
        host: { name: '', helo: 'ok.test', addr: '127.0.0.1', port: 55306 },
        id: '1xahCu-0008PZ-1I',
      });
      // Exim's defaults: no port, no interface
      expect(ev('2026-12-07 22:39:03 SMTP connection from [127.0.0.1] (TCP/IP connection count = 1)')).to.deep.equal({ kind: 'connect', host: { name: '', helo: '', addr: '127.0.0.1' } });
    });

    it('documented shapes: command timeout, unexpected disconnection, too many errors', () => {
      expect(ev('2026-12-07 22:00:00 SMTP command timeout on connection from (x.test) [192.0.2.7]:4711 I=[192.0.2.1]:25')).to.deep.include({ how: 'timeout' });
      expect(ev('2026-12-07 22:00:00 unexpected disconnection while reading SMTP command from (x.test) [192.0.2.7]:4711 I=[192.0.2.1]:25 D=1s')).to.deep.include({ how: 'lost' });
      expect(ev('2026-12-07 22:00:00 SMTP call from (x.test) [192.0.2.7]:4711 I=[192.0.2.1]:25 dropped: too many syntax or protocol errors (last command was "FOO")')).to.deep.include({ how: 'dropped' });
    });
  });

  describe('refusals', () => {
    it('RCPT, temporarily, after DATA, EHLO, AUTH', () => {
      expect(ev('2026-12-07 22:36:24 H=(client.example.test) [127.0.0.1]:47832 I=[127.0.0.1]:37027 F=<alice@far.test> rejected RCPT <blocked@example.test>: no such user here')).to.deep.equal({
        kind: 'reject',
        stage: 'rcpt',
        temporary: false,
        host: { name: '', helo: 'client.example.test', addr: '127.0.0.1', port: 47832 },
        iface: { addr: '127.0.0.1', port: 37027 },
        sender: 'alice@far.test',
        recipient: 'blocked@example.test',
        reason: 'no such user here',
      });
      expect(ev('2026-12-07 22:36:24 H=(client.example.test) [127.0.0.1]:47846 I=[127.0.0.1]:37027 F=<alice@far.test> temporarily rejected RCPT <later@example.test>: try again later')).to.deep.include({
        stage: 'rcpt',
        temporary: true,
        recipient: 'later@example.test',
        reason: 'try again later',
      });
      expect(ev('2026-12-07 22:36:26 1xahJq-0001jQ-0U H=(client.example.test) [127.0.0.1]:47864 I=[127.0.0.1]:37027 F=<alice@far.test> rejected after DATA: content rejected')).to.deep.include({
        stage: 'data',
        id: '1xahJq-0001jQ-0U',
        sender: 'alice@far.test',
        reason: 'content rejected',
      });
      expect(ev('2026-12-07 22:36:35 rejected EHLO from [127.0.0.1]:41244 I=[127.0.0.1]:37027: syntactically invalid argument(s): a_b!')).to.deep.equal({
        kind: 'reject',
        stage: 'helo',
        temporary: false,
        host: { name: '', helo: '', addr: '127.0.0.1', port: 41244 },
        iface: { addr: '127.0.0.1', port: 37027 },
        reason: 'syntactically invalid argument(s): a_b!',
      });
      expect(ev('2026-12-07 22:36:32 plain authenticator failed for (client.example.test) [127.0.0.1]:40760 I=[127.0.0.1]:33033: 535 Incorrect authentication data (set_id=alice)')).to.deep.include({
        stage: 'auth',
        temporary: false,
        code: 535,
        reason: '535 Incorrect authentication data (set_id=alice)',
      });
      // a quoted recipient holding `S=` and spaces
      expect(ev('2026-12-07 22:40:52 H=(h.test) [127.0.0.1]:41818 F=<alice@far.test> rejected RCPT <"bl S=1"@example.test>: no such user here')).to.deep.include({
        recipient: '"bl S=1"@example.test',
        reason: 'no such user here',
      });
    });

    it('information about a client is no refusal', () => {
      expect(ev('2026-12-07 22:37:06.683 [7780] H=(client.example.test) [127.0.0.1]:52614 I=[127.0.0.1]:39563 incomplete transaction (QUIT) from <alice@far.test>')).to.deep.equal({ kind: 'info', what: 'client' });
    });
  });

  describe('daemon and queue runs', () => {
    it('daemon start with and without a queue runner; queue runs', () => {
      expect(ev('2026-12-07 22:24:20 exim 4.96 daemon started: pid=23306, -q5m, listening for SMTP on [127.0.0.1]:{2525,2587}')).to.deep.equal({ kind: 'daemon', version: '4.96', pid: 23306, queueInterval: 300 });
      expect(ev('2026-12-07 22:36:22 exim 4.96 daemon started: pid=6568, no queue runs, listening for SMTP on [127.0.0.1]:{37027,33033}')).to.deep.equal({ kind: 'daemon', version: '4.96', pid: 6568 });
      expect(ev('2026-12-07 22:36:41 Start queue run: pid=7328 -qff')).to.deep.equal({ kind: 'queue-run', start: true, pid: 7328, args: '-qff' });
      expect(ev('2026-12-07 22:36:41 End queue run: pid=7309')).to.deep.equal({ kind: 'queue-run', start: false, pid: 7309, args: '' });
    });
  });

  describe('whole files from the real Exim', () => {
    const kinds = (name: string): Record<string, number> => {
      const p = new EximLineParser();
      const out: Record<string, number> = {};
      for (const l of fixture(name).split('\n')) {
        if (l === '') continue;
        const e = p.parse(l);
        const k = e ? e.event.kind : 'continuation';
        out[k] = (out[k] ?? 0) + 1;
      }
      return out;
    };
    // the two lines not understood are the panic of a second daemon on the same port
    it('the tests\' selector', () => {
      expect(kinds('mainlog-test')).to.deep.equal({ info: 2, continuation: 2, daemon: 1, connect: 24, arrival: 21, disconnect: 24, delivery: 14, completed: 16, reject: 7, failure: 22, 'message-note': 6, frozen: 16, 'queue-run': 6, thawed: 5, removed: 1, unparsed: 2 });
    });
    it('+all and +all with the zone', () => {
      const all = { info: 27, continuation: 2, daemon: 1, connect: 24, arrival: 21, disconnect: 24, delivery: 14, completed: 16, reject: 7, failure: 22, 'message-note': 6, frozen: 16, 'queue-run': 6, thawed: 5, removed: 1, unparsed: 2 };
      expect(kinds('mainlog-all')).to.deep.equal(all);
      expect(kinds('mainlog-alltz')).to.deep.equal(all);
    });
    it('-all and Debian\'s selector', () => {
      expect(kinds('mainlog-none')).to.deep.equal({ info: 2, continuation: 2, daemon: 1, arrival: 21, delivery: 14, completed: 16, reject: 7, failure: 18, 'message-note': 6, frozen: 9, thawed: 5, removed: 1, unparsed: 2 });
      expect(kinds('mainlog-debian')).to.deep.equal({ info: 3, continuation: 2, daemon: 1, arrival: 21, delivery: 14, completed: 16, reject: 7, failure: 22, 'message-note': 6, frozen: 16, disconnect: 1, 'queue-run': 6, thawed: 5, removed: 1, unparsed: 2 });
    });
    it('the rejectlog: rejections and the header lines of the one after DATA', () => {
      expect(kinds('rejectlog-test')).to.deep.equal({ reject: 7, continuation: 14 });
    });
  });
});

// Round trip (immonitor-access): send a uniquely tagged message by SMTP to a test
// mailbox, time until IMAP (or POP3) sees it, fetch and delete it. Phases: send (the
// whole SMTP session), delivery (from the end of the send until the mailbox shows the
// message, polling), fetch, delete. The total is the round-trip time.

import type { ImapFlow } from 'imapflow';
import type { ProbeSpec } from './config.js';
import { bounded, imapError, openImap } from './imap.js';
import { Deadline, PhaseClock, TimeoutError, type ProbeOutcome } from './phases.js';
import { Pop3Session } from './pop3.js';
import { probeMessage, probeTag, smtpSession } from './smtp.js';

const POLL_MS = 200;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function probeRoundtrip(spec: ProbeSpec): Promise<ProbeOutcome> {
  const clock = new PhaseClock();
  const deadline = new Deadline(spec.timeout * 1000);
  const smtp = spec.smtp!;
  const tag = probeTag();
  try {
    const send = new PhaseClock();
    clock.current = 'send';
    try {
      await smtpSession(smtp, { lmtp: false, envelope: { from: smtp.from, to: smtp.to, message: probeMessage(smtp.from, smtp.to, tag) } }, send, deadline);
    } catch (err) {
      // name the SMTP phase that failed: "send (rcpt): 550 ..."
      clock.current = `send (${send.current})`;
      throw err;
    }
    clock.phases.push({ name: 'send', ms: send.elapsed() });
    if (spec.fetch === 'pop3') await viaPop3(spec, tag, clock, deadline);
    else await viaImap(spec, tag, clock, deadline);
    return clock.ok({ detail: `message ${tag} delivered and deleted` });
  } catch (err) {
    return clock.failed(imapError(err));
  }
}

async function viaImap(spec: ProbeSpec, tag: string, clock: PhaseClock, deadline: Deadline): Promise<void> {
  // the login is timed on its own clock: it belongs to the delivery wait, not a phase of its own
  const t0 = performance.now();
  clock.current = 'delivery';
  const inner = new PhaseClock();
  let client: ImapFlow | undefined;
  try {
    client = await openImap(spec, inner, deadline);
    const c = client;
    await bounded(c, deadline, 'to SELECT', () => c.mailboxOpen(spec.mailbox ?? 'INBOX'));
    let uids: number[] = [];
    const notDelivered = () => new Error(`message ${tag} not in ${spec.mailbox ?? 'INBOX'} within ${spec.timeout} s`);
    for (;;) {
      let found: number[] | false | undefined;
      try {
        found = await bounded(c, deadline, 'to SEARCH', () => c.search({ header: { 'x-madman-probe': tag } }, { uid: true }));
      } catch (err) {
        // the deadline passing while polling means the message did not arrive in time
        throw err instanceof TimeoutError ? notDelivered() : err;
      }
      uids = found || [];
      if (uids.length) break;
      if (deadline.remaining() <= POLL_MS) throw notDelivered();
      await sleep(POLL_MS);
    }
    clock.phases.push({ name: 'delivery', ms: performance.now() - t0 });
    const range = uids.join(',');
    await clock.phase('fetch', () => bounded(c, deadline, 'to FETCH', () => c.fetchOne(range, { source: true }, { uid: true })));
    await clock.phase('delete', () => bounded(c, deadline, 'to delete', () => c.messageDelete(range, { uid: true })));
    await clock.phase('logout', () => bounded(c, deadline, 'to LOGOUT', () => c.logout()));
  } finally {
    client?.close();
  }
}

async function viaPop3(spec: ProbeSpec, tag: string, clock: PhaseClock, deadline: Deadline): Promise<void> {
  const t0 = performance.now();
  const header = `x-madman-probe: ${tag}`;
  let loggedIn = false;
  try {
    // POP3 shows the maildrop as it was at login: each poll is a new session
    for (;;) {
      clock.current = 'delivery';
      const { s } = await Pop3Session.open(spec, new PhaseClock(), deadline);
      loggedIn = true;
      try {
        const { count } = await s.stat();
        for (let i = count; i >= 1; i--) {
          const head = await s.multi(`TOP ${i} 0`);
          if (!head.some((l) => l.toLowerCase() === header)) continue;
          clock.phases.push({ name: 'delivery', ms: performance.now() - t0 });
          await clock.phase('fetch', () => s.multi(`RETR ${i}`));
          await clock.phase('delete', () => s.cmd(`DELE ${i}`));
          await clock.phase('quit', () => s.quit());
          return;
        }
        await s.quit();
      } finally {
        s.close();
      }
      if (deadline.remaining() <= POLL_MS) throw new TimeoutError('polling');
      await sleep(POLL_MS);
    }
  } catch (err) {
    // once the maildrop answered, the deadline passing while polling means not delivered in time
    if (loggedIn && clock.current === 'delivery' && err instanceof TimeoutError) throw new Error(`message ${tag} not in the maildrop within ${spec.timeout} s`);
    throw err;
  }
}

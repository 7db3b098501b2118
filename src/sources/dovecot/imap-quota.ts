// Quotas over IMAP (RFC 2087 GETQUOTAROOT on INBOX), logging in as each user through a Dovecot
// master user ("user*master"), with imapflow: the method for an agent that has no doveadm (a
// remote Dovecot). IMAP cannot list users, so the users are the configured ones plus those the
// log showed logging in. One connection per user, a few at a time: fine for hundreds of users;
// for 100,000, doveadm (quota.ts) is the method.
//
// Outcomes: figures for every user the master login got into. A user that no longer exists is
// left out (its row vanishes) and reported (the source stops asking a user it only saw in the
// log): Dovecot 2.3.19 logs "Internal login failure" and answers "NO [UNAVAILABLE] Internal
// error occurred" or closes the connection without a reply (both seen from the same server).
// A userdb that is down looks the same: its users' rows go until they are read again. Every login refused means the master user itself is refused, and a
// connection failure means Dovecot is down: both fail the whole refresh (the rows stay,
// madmanSourceTable reports it, the next interval retries).

import type { ImapFlow } from 'imapflow';
import type { QuotaFigures } from './quota.js';

export interface ImapQuotaOptions {
  host: string;
  port: number;
  /** 'implicit': TLS from the start; 'starttls': upgrade (required); 'none': plaintext */
  tls: 'implicit' | 'starttls' | 'none';
  /** PEM CA certificates to trust besides the system's (a self-signed server's) */
  ca?: string[];
  master: string;
  password: string;
  /** simultaneous logins (default 4) */
  concurrency?: number;
}

export class ImapQuotaError extends Error {}

export interface ImapQuotaHooks {
  /** called just before logging in as `user` (the statistics skip the agent's own logins) */
  loggingIn?(user: string): void;
  /** `user` does not exist (any more) */
  unknown?(user: string): void;
}

/** The login got "NO [UNAVAILABLE]" or a close after the greeting: the user is not in the userdb. */
class UnknownUser extends Error {}

function isAuthFailure(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { authenticationFailed?: unknown }).authenticationFailed === true;
}

/** One user's figures; undefined when the server has no quota for the user's INBOX. */
async function readOne(o: ImapQuotaOptions, user: string): Promise<QuotaFigures | undefined> {
  // loaded on first use: an agent without IMAP quotas never pays for imapflow's memory
  const { ImapFlow } = await import('imapflow');
  const client: ImapFlow = new ImapFlow({
    host: o.host,
    port: o.port,
    secure: o.tls === 'implicit',
    doSTARTTLS: o.tls === 'starttls' ? true : o.tls === 'none' ? false : undefined,
    tls: o.ca ? { ca: o.ca } : undefined,
    auth: { user: `${user}*${o.master}`, pass: o.password },
    logger: false,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
  });
  client.on('error', () => undefined); // a dropped connection also rejects the pending command
  try {
    try {
      await client.connect();
    } catch (err) {
      // Dovecot's "Internal login failure" (user not found from userdb after the master
      // login): either "NO [UNAVAILABLE] Internal error occurred" or a close without reply
      const e = err as { code?: unknown; reason?: unknown; serverResponseCode?: unknown };
      const closed = e.code === 'ClosedAfterConnectText' || e.code === 'ClosedAfterConnectTLS';
      const greeted = (client as unknown as { greetingReceived?: boolean }).greetingReceived === true;
      if (e.serverResponseCode === 'UNAVAILABLE' || (closed && greeted && !e.reason)) throw new UnknownUser(user);
      throw err;
    }
    const q = await client.getQuota('INBOX');
    await client.logout();
    if (!q) return undefined;
    // imapflow gives STORAGE in octets (the protocol's KB times 1024)
    return {
      user,
      storageKb: Math.round((q.storage?.usage ?? 0) / 1024),
      storageLimitKb: q.storage?.limit ? Math.round(q.storage.limit / 1024) : undefined,
      messages: q.message?.usage ?? 0,
      messageLimit: q.message?.limit || undefined,
    };
  } finally {
    client.close();
  }
}

/** Reads every user's quota; see the file comment for what fails the whole reading. */
export async function readImapQuotas(o: ImapQuotaOptions, users: Iterable<string>, hooks: ImapQuotaHooks = {}): Promise<Map<string, QuotaFigures>> {
  const queue = [...new Set(users)];
  const out = new Map<string, QuotaFigures>();
  let refused = 0;
  let unknown = 0;
  let fatal: Error | undefined;
  const worker = async () => {
    for (let user = queue.shift(); user !== undefined && !fatal; user = queue.shift()) {
      try {
        hooks.loggingIn?.(user);
        const f = await readOne(o, user);
        out.set(user, f ?? { user, storageKb: 0, messages: 0 });
      } catch (err) {
        if (err instanceof UnknownUser) {
          unknown++;
          hooks.unknown?.(user);
        } else if (isAuthFailure(err)) refused++;
        else fatal = new ImapQuotaError(`IMAP ${o.host}:${o.port}: ${(err as Error).message}`);
      }
    }
  };
  const total = queue.length;
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
  if (fatal) throw fatal;
  // the master is refused when every user is; users that no longer exist do not count
  if (total > 0 && refused > 0 && refused === total - unknown) throw new ImapQuotaError(`IMAP ${o.host}:${o.port}: the master user ${o.master} was refused for all ${total} users`);
  return out;
}

// LDAP probe with ldapts: bind (as the configured DN, or anonymously), look the configured
// user up (filter under base), count the entries found, unbind. Without a filter the
// root DSE is read, which every server answers.

import type { Client } from 'ldapts';
import type { ProbeSpec } from './config.js';
import { tlsOptions } from './conn.js';
import { Deadline, PhaseClock, readPassword, type ProbeOutcome } from './phases.js';

export async function probeLdap(spec: ProbeSpec): Promise<ProbeOutcome> {
  const clock = new PhaseClock();
  const deadline = new Deadline(spec.timeout * 1000);
  const scheme = spec.tls === 'implicit' ? 'ldaps' : 'ldap';
  const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  const ms = Math.max(1, Math.ceil(deadline.remaining()));
  let client: Client | undefined;
  try {
    clock.current = 'password';
    const password = await readPassword(spec.passwordFile);
    // loaded on first use: an agent without LDAP probes never pays for ldapts' memory
    const { Client } = await import('ldapts');
    client = new Client({
      url: `${scheme}://${host}:${spec.port}`,
      timeout: ms,
      connectTimeout: ms,
      tlsOptions: spec.tls === 'implicit' ? tlsOptions(spec) : undefined,
    });
    const c = client;
    const bound = (p: Promise<unknown>, what: string) => deadline.race(p, what, () => void c.unbind().catch(() => {}));
    // ldapts connects on the first operation: the bind (or the search) includes the connect
    if (spec.user) await clock.phase('bind', () => bound(c.bind(spec.user!, password ?? ''), 'to BIND'));
    const filter = spec.filter ?? '(objectClass=*)';
    const found = await clock.phase('search', () =>
      deadline.race(
        c.search(spec.filter ? spec.base ?? '' : '', { scope: spec.filter ? 'sub' : 'base', filter, attributes: ['1.1'], sizeLimit: 10 }),
        'to SEARCH',
        () => void c.unbind().catch(() => {}),
      ),
    );
    const n = found.searchEntries.length;
    if (spec.filter && n === 0) {
      clock.current = 'search';
      throw new Error(`no entry matches ${spec.filter}${spec.base ? ` under ${spec.base}` : ''}`);
    }
    await clock.phase('unbind', () => bound(c.unbind(), 'to UNBIND'));
    return clock.ok({ detail: `${n} ${n === 1 ? 'entry' : 'entries'} found` });
  } catch (err) {
    void client?.unbind().catch(() => {});
    return clock.failed(ldapError(err));
  }
}

/** ldapts puts the result code in the message ("<diagnostic> Code: 0x31") and its meaning in the class name. */
function ldapError(err: unknown): unknown {
  if (!(err instanceof Error) || typeof (err as { code?: unknown }).code !== 'number') return err;
  const code = (err as unknown as { code: number }).code;
  const meaning = err.name.replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  const diagnostic = err.message.replace(/\s*Code: 0x[0-9a-f]+$/i, '').trim();
  return new Error(`${meaning} (LDAP result ${code})${diagnostic ? `: ${diagnostic}` : ''}`);
}

// The agent's own IMAP logins (quotaMethod: imap logs in as "user*master"). Dovecot 2.3.19
// logs such a login exactly like the user's own ("imap-login: Login: user=<user>, ..."), a
// vanished user as "Disconnected: Internal login failure ...: user=<user>" and a refused
// master password as "...auth failed...: user=<master>". So the agent counts the logins it
// is about to make, per user, and the statistics skip that many matching login or refused
// lines. An expectation the log never confirms (Dovecot unreachable, the log not followed)
// is forgotten after OWN_LOGIN_MS; at most OWN_LOGIN_MAX are kept.

export const OWN_LOGIN_MS = 5 * 60 * 1000;
export const OWN_LOGIN_MAX = 10_000;

export class OwnLogins {
  /** agent-clock times (ms) of the logins announced and not yet seen, by user */
  private readonly pending = new Map<string, number[]>();
  private size = 0;

  constructor(
    /** the master user's name: a refused master login names it instead of the user */
    readonly master?: string,
  ) {}

  /** The agent is about to log in as `user` (through the master user). */
  expect(user: string, now = Date.now()): void {
    this.expire(now);
    if (this.size >= OWN_LOGIN_MAX) return;
    const list = this.pending.get(user);
    if (list) list.push(now);
    else this.pending.set(user, [now]);
    this.size++;
  }

  /** True (and one expectation used up) if a login or refusal of `user` is the agent's own. */
  take(user: string, now = Date.now()): boolean {
    this.expire(now);
    let key: string | undefined = user;
    if (!this.pending.has(user)) {
      // a refused master login names the master: it was one of the agent's, for some user
      if (this.master === undefined || user !== this.master) return false;
      key = this.pending.keys().next().value;
      if (key === undefined) return false;
    }
    const list = this.pending.get(key)!;
    list.shift();
    if (!list.length) this.pending.delete(key);
    this.size--;
    return true;
  }

  get count(): number {
    return this.size;
  }

  private expire(now: number): void {
    for (const [user, list] of this.pending) {
      while (list.length && now - list[0]! > OWN_LOGIN_MS) {
        list.shift();
        this.size--;
      }
      if (!list.length) this.pending.delete(user);
    }
  }
}

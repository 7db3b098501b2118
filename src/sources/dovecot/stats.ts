// Dovecot events -> per-service statistics (model.services, Sun's imapstat/popstat) and the
// services' applTable rows and assocTable sessions. What each figure counts (docs/dovecot.md):
//   numGoodLogins         "Login:" lines of the service's login process (LMTP: "Connect from")
//   numFailedLogins       failed authentications: the N of "auth failed, N attempts", plus,
//                         with auth_verbose = yes, those before a successful Login"
//   numFailedConnections  connections the login process ended without a login, whatever the
//                         reason (auth failed, no auth attempt, TLS error, too many connections)
//   numConnections        numGoodLogins + numFailedConnections: every connection whose outcome
//                         the log shows (a connection still authenticating is not in the log yet)
//   numCurrentConnections sessions logged in and not ended (the mail process's "Disconnected"
//                         line), corrected by `doveadm who` when it is available (who.ts)
//   maxConnections        the highest numCurrentConnections since currentStartTime
//   lastConnectionTime    time of the latest login or refused connection
//   currentStartTime      time of the master's "starting up" line naming the service
// The applTable row of service S ("dovecot S"): inbound associations = current sessions,
// accumulated = numConnections, rejected = numFailedConnections, last inbound activity = the
// latest login, refusal or session end; each session is an assocTable row (remote = rip).

import type { Application, MailSystem, Protocol } from '../../model/mail-system.js';
import { newServiceStats, type ServiceStats } from '../../model/services.js';
import type { ServiceSnapshot, Session } from './session.js';
import { OwnLogins } from './own-logins.js';
import { SERVICES, type DovecotEvent, type DovecotService } from './parse.js';

/** At most this many login sessions' failed authentications wait for their outcome line. */
export const AUTH_PENDING_MAX = 10_000;

/** How long, and how many, closed sessions are remembered (who.ts must not reopen them). */
export const ENDED_MEMORY_MS = 10 * 60 * 1000;
export const ENDED_MAX = 10_000;

const PORTS: Record<DovecotService, number> = { imap: 143, pop3: 110, submission: 587, lmtp: 24 };
const TITLES: Record<DovecotService, string> = { imap: 'IMAP', pop3: 'POP3', submission: 'submission', lmtp: 'LMTP' };

export interface ServiceState {
  stats: ServiceStats;
  app: Application;
  protocol: Protocol;
  /** open sessions by "id:SESSION", else "pid:N", else "user:U#n" (one imap process can
   *  serve several sessions: the pid alone would merge them) */
  sessions: Map<string, Session>;
  /** keys of sessions closed lately, and when (ms, agent clock): who.ts does not reopen them */
  ended: Map<string, number>;
}

export interface DovecotStatsCounts {
  events: number;
  /** sessions closed or opened because `doveadm who` disagreed with the log */
  corrected: number;
}

export class DovecotStats {
  private readonly states = new Map<DovecotService, ServiceState>();
  readonly counts: DovecotStatsCounts = { events: 0, corrected: 0 };
  /** users seen logging in (the user list of IMAP quota reading) */
  readonly users = new Set<string>();
  /** the agent's own logins (quotaMethod: imap), not counted as user activity */
  readonly own: OwnLogins;
  /** failed authentications (auth_verbose lines) by login session id, until its Login or
   *  refusal line: a Login after failures is the only way they are counted */
  private readonly authFailures = new Map<string, number>();
  private anon = 0;

  constructor(
    private readonly model: MailSystem,
    /** names the instance: rows are "<instance> imap" etc. */
    private readonly instance = 'dovecot',
    services: readonly DovecotService[] = ['imap', 'pop3'],
    /** the master user the agent logs in through (quotaMethod: imap) */
    master?: string,
  ) {
    this.own = new OwnLogins(master);
    for (const s of services) this.state(s);
  }

  /** The service's state, creating its rows on first sight. Indexes are fixed per service. */
  state(service: DovecotService): ServiceState {
    let st = this.states.get(service);
    if (st) return st;
    const name = `${this.instance} ${service}`;
    const app = this.model.addApplication(name, { description: `Dovecot ${TITLES[service]} service`, operStatus: 'up' });
    const stats = newServiceStats({ index: SERVICES.indexOf(service) + 1, name, service, application: app.index });
    this.model.services.set(stats.index, stats);
    st = { stats, app, protocol: { transport: 'tcp', port: PORTS[service] }, sessions: new Map(), ended: new Map() };
    this.states.set(service, st);
    return st;
  }

  services(): ServiceState[] {
    return [...this.states.values()];
  }

  snapshot(): ServiceSnapshot[] {
    return this.services().map((st) => {
      const { index: _i, name: _n, service, application: _a, ...stats } = st.stats;
      return { service: service as DovecotService, stats, sessions: [...st.sessions] };
    });
  }

  /**
   * Counters and open sessions from a checkpoint, after restoreModel() brought back the
   * applications: the sessions get their associations again without counting them twice.
   */
  restore(saved: ServiceSnapshot[]): void {
    for (const s of saved) {
      if (!SERVICES.includes(s.service)) continue;
      const st = this.state(s.service);
      Object.assign(st.stats, s.stats);
      const app = st.app;
      const { accumulatedInboundAssociations: acc, lastInboundActivity: last } = app;
      app.inboundAssociations = 0;
      for (const [key, old] of s.sessions) {
        // keys "user:U#n" of sessions without pid or id: new ones must not reuse an n
        const n = /#(\d+)$/.exec(key);
        if (n) this.anon = Math.max(this.anon, Number(n[1]));
        const a = this.model.openAssociation(app, { remoteApplication: old.rip ?? '', protocol: st.protocol, type: 'uaresponder', startedAt: old.startedAt });
        st.sessions.set(key, { ...old, assoc: a.index, openedAt: Date.now() });
      }
      app.accumulatedInboundAssociations = acc;
      app.lastInboundActivity = last;
      this.counted(st);
    }
  }

  apply(e: DovecotEvent): void {
    this.counts.events++;
    switch (e.kind) {
      case 'start':
        for (const s of e.services) this.started(this.state(s), e.time, e.version);
        break;
      case 'stop':
        for (const st of this.states.values()) {
          this.endAll(st, e.time);
          st.app.operStatus = 'down';
          st.app.lastChange = e.time;
        }
        break;
      case 'login': {
        if (e.service === 'imap' && this.own.take(e.user)) break;
        const st = this.state(e.service);
        st.stats.numFailedLogins += this.failuresOf(e.session);
        st.stats.numGoodLogins++;
        st.stats.numConnections++;
        st.stats.lastConnectionTime = e.time;
        if (e.user) this.users.add(e.user);
        // doveadm who may have shown this session before its line was read
        if (!this.find(st, e.pid, e.session, undefined)) this.open(st, { user: e.user, pid: e.pid, session: e.session, rip: e.rip, at: e.time });
        else st.app.accumulatedInboundAssociations++;
        break;
      }
      case 'refused': {
        if (e.service === 'imap' && e.user && this.own.take(e.user)) break;
        const st = this.state(e.service);
        this.failuresOf(e.session); // "auth failed, N attempts" counts them already
        st.stats.numFailedConnections++;
        st.stats.numConnections++;
        st.stats.numFailedLogins += e.attempts;
        st.stats.lastConnectionTime = e.time;
        st.app.accumulatedInboundAssociations++;
        st.app.rejectedInboundAssociations++;
        st.app.lastInboundActivity = e.time;
        break;
      }
      case 'end': {
        const st = this.state(e.service);
        const key = this.find(st, e.pid, e.session, e.user);
        if (key) this.close(st, key, e.time);
        break;
      }
      case 'authfail':
        this.authFailures.set(e.session, (this.authFailures.get(e.session) ?? 0) + 1);
        // sessions whose outcome line never came (lost lines): the oldest go
        if (this.authFailures.size > AUTH_PENDING_MAX) this.authFailures.delete(this.authFailures.keys().next().value!);
        break;
      case 'unparsed':
        break; // counted by the LogSource (the reader says the line was not understood)
    }
  }

  /** The failed authentications seen for a login session, forgotten once its outcome is read. */
  private failuresOf(session: string | undefined): number {
    if (!session) return 0;
    const n = this.authFailures.get(session) ?? 0;
    this.authFailures.delete(session);
    return n;
  }

  private started(st: ServiceState, at: number, version: string): void {
    this.endAll(st, at);
    st.stats.currentStartTime = at;
    st.stats.maxConnections = 0;
    st.app.startedAt = at;
    st.app.version = version;
    if (st.app.operStatus !== 'up') st.app.lastChange = at;
    st.app.operStatus = 'up';
  }

  /**
   * Opens a session (and its association). `fromWho`: seen by doveadm who, not in the log
   * (yet): not an accumulated association until its login line is read.
   */
  open(st: ServiceState, s: { user: string; pid?: number; session?: string; rip: string; at: number }, fromWho = false): void {
    const a = this.model.openAssociation(st.app, { remoteApplication: s.rip, protocol: st.protocol, type: 'uaresponder', startedAt: s.at });
    if (fromWho) st.app.accumulatedInboundAssociations--;
    const key = s.session ? `id:${s.session}` : s.pid !== undefined ? `pid:${s.pid}` : `user:${s.user}#${++this.anon}`;
    st.sessions.set(key, { user: s.user, rip: s.rip, pid: s.pid, session: s.session, assoc: a.index, startedAt: s.at, openedAt: Date.now() });
    this.counted(st);
  }

  close(st: ServiceState, key: string, at: number, now = Date.now()): void {
    const s = st.sessions.get(key);
    if (!s) return;
    st.sessions.delete(key);
    this.ended(st, key, now);
    // who.ts knows pids only
    if (s.pid !== undefined && key !== `pid:${s.pid}`) this.ended(st, `pid:${s.pid}`, now);
    this.model.closeAssociation(st.app, s.assoc, at);
    this.counted(st);
  }

  /**
   * Remembers a closed session for who.ts, and forgets those older than ENDED_MEMORY_MS or
   * beyond ENDED_MAX: the map is in closing order, so the oldest are first. Without this it
   * grew with every session while doveadm who was off (whoInterval: 0) or failing.
   */
  private ended(st: ServiceState, key: string, now: number): void {
    st.ended.delete(key);
    st.ended.set(key, now);
    for (const [k, t] of st.ended) {
      if (now - t <= ENDED_MEMORY_MS && st.ended.size <= ENDED_MAX) break;
      st.ended.delete(k);
    }
  }

  /**
   * The key of an open session: by session id, else by pid (a session without an id of its
   * own: one doveadm who opened, or a log without session=<>), else the user's oldest.
   */
  private find(st: ServiceState, pid: number | undefined, session: string | undefined, user: string | undefined): string | undefined {
    if (session) {
      if (st.sessions.has(`id:${session}`)) return `id:${session}`;
      for (const [k, s] of st.sessions) if (s.session === session) return k;
    }
    if (pid !== undefined) {
      for (const [k, s] of st.sessions) if (s.pid === pid && (!session || !s.session)) return k;
    }
    if (user !== undefined && pid === undefined && !session) {
      for (const [k, s] of st.sessions) if (s.user === user) return k;
    }
    return undefined;
  }

  private endAll(st: ServiceState, at: number): void {
    for (const key of [...st.sessions.keys()]) this.close(st, key, at);
  }

  private counted(st: ServiceState): void {
    const n = st.sessions.size;
    st.stats.numCurrentConnections = n;
    if (n > st.stats.maxConnections) st.stats.maxConnections = n;
  }
}

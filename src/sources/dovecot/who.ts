// `doveadm who`: the sessions Dovecot's anvil knows, to correct the current sessions the log
// shows. The log can miss a session's end (a mail process killed without its "Disconnected"
// line, lines lost to a rotation the follower could not see) and cannot know sessions opened
// before the agent started reading. When the two disagree, doveadm who wins, by mail process
// pid: a session the log shows open whose pid who does not list is closed, and a pid who lists
// that the log does not know is opened (user and address from who, start time = now). Only
// sessions that started before the who command ran are closed, and sessions whose end the log
// showed lately are not reopened, so lines read while who ran cannot be undone.

import { SERVICES, type DovecotService } from './parse.js';
import type { DovecotStats } from './stats.js';

export interface WhoEntry {
  user: string;
  service: DovecotService;
  pid: number;
  ip: string;
}

/** `doveadm -f tab who -1` output: "username\tproto\tpid\tip" then one line per connection. */
export function parseWho(out: string): WhoEntry[] {
  const entries: WhoEntry[] = [];
  for (const line of out.split('\n')) {
    const f = line.split('\t');
    if (f.length < 4 || f[0] === 'username') continue;
    const service = SERVICES.find((s) => s === f[1]);
    const pid = Number(f[2]);
    if (!service || !Number.isInteger(pid) || pid <= 0) continue;
    entries.push({ user: f[0]!, service, pid, ip: f[3]!.trim() });
  }
  return entries;
}

/**
 * Makes the open sessions agree with `entries` (doveadm who run at `ranAt`, agent clock ms).
 * Returns how many sessions were closed and opened.
 */
export function reconcile(stats: DovecotStats, entries: WhoEntry[], ranAt: number, now = Date.now()): { closed: number; opened: number } {
  let closed = 0;
  let opened = 0;
  for (const st of stats.services()) {
    // anvil (and so who) knows the sessions of login services only: LMTP has none
    if (st.stats.service === 'lmtp') continue;
    const listed = new Map<number, WhoEntry>();
    for (const e of entries) if (e.service === st.stats.service) listed.set(e.pid, e);
    for (const [key, s] of [...st.sessions]) {
      if (s.pid === undefined || listed.has(s.pid) || s.openedAt >= ranAt) continue;
      stats.close(st, key, now);
      closed++;
    }
    for (const [pid, e] of listed) {
      const key = `pid:${pid}`;
      const open = [...st.sessions.values()].some((x) => x.pid === pid);
      if (open || (st.ended.get(key) ?? -Infinity) >= ranAt - 1000) continue;
      stats.open(st, { user: e.user, pid, rip: e.ip, at: now }, true);
      opened++;
    }
  }
  stats.counts.corrected += closed + opened;
  return { closed, opened };
}

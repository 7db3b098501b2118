// Where the journal ends for a follower's matches: the last entry at the moment the
// follower starts, read with `journalctl --lines=1` (which seeks to the tail, so it
// costs the same for a day of journal as for a year). A backlog read with --no-tail
// has been caught up with once that entry (or a later one) has gone by; its time is
// what a progress report measures the backlog against (the journal has no size).

import { spawn } from 'node:child_process';

/** One entry of the journal: its cursor and __REALTIME_TIMESTAMP (ms since the epoch). */
export interface JournalMark {
  cursor: string;
  time: number;
}

/** How far a backlog has been read, by the entries' times (ms since the epoch). */
export interface JournalProgress {
  /** the first entry delivered */
  from?: number;
  /** the last entry delivered */
  at?: number;
  /** the journal's last entry when the follower started (undefined: not known, or none) */
  to?: number;
}

/** The matches of a follower: extra arguments (e.g. --file), units, syslog identifiers. */
export interface JournalMatches {
  /** -u UNIT for each */
  units?: string[];
  /** --identifier=ID (SYSLOG_IDENTIFIER) for each */
  identifiers?: string[];
  /** placed before the matches (e.g. ['--directory', DIR]) */
  extraArgs?: string[];
}

/** The arguments that select a follower's entries (journalctl ORs values of one kind, ANDs units with identifiers). */
export function journalMatchArgs(o: JournalMatches): string[] {
  const args = [...(o.extraArgs ?? [])];
  for (const u of o.units ?? []) args.push('-u', u);
  for (const id of o.identifiers ?? []) args.push(`--identifier=${id}`);
  return args;
}

/** journalctl arguments that print the last entry of `o`'s matches and exit. */
export function journalEndArgs(o: JournalMatches): string[] {
  // a small field only: __CURSOR and __REALTIME_TIMESTAMP come with every JSON entry
  return ['--output=json', '--quiet', '--no-pager', '--lines=1', '--output-fields=SYSLOG_IDENTIFIER', ...journalMatchArgs(o)];
}

/** The cursor and time of one line of `journalctl -o json`; undefined when it has none. */
export function journalMark(line: string): JournalMark | undefined {
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const cursor = o?.__CURSOR;
    const us = o?.__REALTIME_TIMESTAMP;
    if (typeof cursor !== 'string' || cursor === '' || typeof us !== 'string' || !/^\d+$/.test(us)) return undefined;
    return { cursor, time: Math.floor(Number(us) / 1000) };
  } catch {
    return undefined;
  }
}

/**
 * The last entry of `o`'s matches now: null when there is none, undefined when journalctl
 * could not say (missing, failed, or no answer within `timeoutMs`).
 */
export function readJournalEnd(o: JournalMatches, command = 'journalctl', timeoutMs = 10_000): Promise<JournalMark | null | undefined> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(command, journalEndArgs(o), { stdio: ['ignore', 'pipe', 'ignore'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      if (out.length < 1 << 20) out += s;
    });
    child.once('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const last = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      const mark = last === undefined ? undefined : journalMark(last);
      if (mark) resolve(mark);
      else resolve(code === 0 && last === undefined ? null : undefined);
    });
  });
}

// The Sun/Oracle Messaging Server MTA source: follows mail.log_current with the generic
// file follower (rotation to mail.log_yesterday by rename is the follower's business),
// reads the rotated files first when backfilling (--from-start), applies `counters
// clear` requests, and checkpoints MTA-MIB counters, imsimta counters, queued recipients,
// open connections and the log position together (as the Postfix source does).

import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../log.js';
import type { MailSystem } from '../../model/mail-system.js';
import { watchClears } from '../../state/counters-clear.js';
import { LogSource, type LogCheckpoint } from '../kit/log-source.js';
import type { Source } from '../registry.js';
import { SunLog, type SunLogState } from './apply.js';
import type { SunMtaSettings } from './config.js';
import { SUN_CHECKPOINT } from './counters.js';

export { SUN_CHECKPOINT } from './counters.js';

/** The reader's keys of the checkpoint (sun-mta.json); LogSource adds the model, counts and position. */
export interface SunState {
  log: SunLogState;
}

export type SunMtaCheckpoint = LogCheckpoint<SunState>;

/** Is `v` a Sun MTA checkpoint (of this version or one written before the source kit)? */
export function isSunCheckpoint(v: unknown): v is SunMtaCheckpoint {
  const o = v as Partial<SunMtaCheckpoint> | null;
  return typeof o === 'object' && o !== null && o.version === 1 && typeof o.model === 'object' && typeof o.log === 'object';
}

const COMPRESSED = /\.(?:gz|xz|bz2|zst|Z)$/;

/**
 * The rotated files of `log` to read before it when backfilling, oldest first: dated
 * ones (`mail.log_20261128`, `mail.log.1`, `mail.log-2026-11-28`: the stem, a separator,
 * a digit) by modification time, then `mail.log_yesterday`. The cumulative `mail.log`
 * (the return job appends each day's file to it) is not read: it repeats the others.
 */
export async function backfillFiles(log: string): Promise<string[]> {
  const dir = path.dirname(log);
  const base = path.basename(log);
  const stem = base.replace(/_current$/, '');
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const dated: Array<{ p: string; mtime: number }> = [];
  let yesterday: string | undefined;
  for (const name of names.sort()) {
    if (name === base || COMPRESSED.test(name)) continue;
    const p = path.join(dir, name);
    const st = await fsp.stat(p).catch(() => undefined);
    if (!st?.isFile()) continue;
    if (name === `${stem}_yesterday`) yesterday = p;
    else if (name.startsWith(stem) && /^[_.-]\d/.test(name.slice(stem.length))) dated.push({ p, mtime: st.mtimeMs });
  }
  dated.sort((a, b) => a.mtime - b.mtime || (a.p < b.p ? -1 : a.p > b.p ? 1 : 0));
  return [...dated.map((d) => d.p), ...(yesterday ? [yesterday] : [])];
}

export class SunMtaSource implements Source {
  readonly name = 'sun-mta';
  private tail?: LogSource<SunState, SunLog>;
  private clears?: ReturnType<typeof watchClears>;

  constructor(
    private readonly settings: SunMtaSettings,
    private readonly stateDir: string,
    private readonly fromStart: boolean,
  ) {}

  async start(model: MailSystem, log: Logger): Promise<void> {
    const tail = (this.tail = new LogSource<SunState, SunLog>(model, log, {
      checkpoint: SUN_CHECKPOINT,
      input: 'sun-mta log',
      log: { file: this.settings.log },
      stateDir: this.stateDir,
      fromStart: this.fromStart,
      isState: (v) => typeof v.log === 'object' && v.log !== null,
      reader: (saved) => {
        const slog = new SunLog(model, saved?.log.appName ?? this.settings.application, this.settings);
        if (saved) slog.restore(saved.log);
        return slog;
      },
      owns: (app) => app.name === this.tail?.reader.appName,
      legacyCounts: (saved) => ({ lines: (saved.log.stats as { lines?: number }).lines ?? 0, unparsed: unparsedOf(saved.log) }),
      backfill: () => backfillFiles(this.settings.log),
      // the MTA is as readable as its log (its state is unknown otherwise)
      onStatus: (s) => LogSource.setStatus([tail.reader.app], s.ok ? 'up' : 'down'),
    }));
    const slog = tail.open();
    if (this.settings.versionCommand) {
      const version = await mtaVersion(this.settings.versionCommand);
      if (version.ok) slog.app.version = version.text;
      else log.warn({ command: this.settings.versionCommand, err: version.text }, 'cannot tell the MTA version; applVersion stays as it was');
    }
    await tail.backfill();
    // a clear asked for while the agent was stopped: applied now, saved with the first batch
    // (a checkpoint without the log position would skip the current file on a restart)
    this.clears = watchClears(this.stateDir, () => slog.clearSeq, (req, timer) => {
      slog.clear(req.seq, req.at);
      log.info({ seq: req.seq, at: new Date(req.at).toISOString() }, 'channel counters cleared');
      if (timer) tail.save();
    });
    this.clears.check();
    await tail.follow();
  }

  async stop(): Promise<void> {
    this.clears?.stop();
    await this.tail?.stop();
  }
}

/** Unparsed lines of a checkpoint written before the source kit. */
function unparsedOf(s: SunLogState): number {
  let n = 0;
  for (const v of Object.values(s.stats.unparsed)) n += v ?? 0;
  return n;
}

/**
 * applVersion from a command such as `imsimta version`: the first line of its output that
 * names the Messaging Server (`Oracle Communications Messaging Server 8.0.2.3.20181024 64bit
 * (built Oct 24 2018)`), else its first line, at most 255 characters.
 */
export function mtaVersion(command: string, timeoutMs = 10_000): Promise<{ ok: boolean; text: string }> {
  const words = command.trim().split(/\s+/);
  return new Promise((resolve) => {
    execFile(words[0]!, words.slice(1), { timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return resolve({ ok: false, text: (String(stderr).trim().split('\n')[0] || err.message).slice(0, 255) });
      const lines = String(stdout).split('\n').map((l) => l.trim()).filter(Boolean);
      const line = lines.find((l) => /Messaging Server/i.test(l)) ?? lines[0];
      resolve(line ? { ok: true, text: line.slice(0, 255) } : { ok: false, text: 'no output' });
    });
  });
}

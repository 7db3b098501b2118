// The Sun/Oracle Messaging Server MTA source: follows mail.log_current with the generic
// file follower (rotation to mail.log_yesterday by rename is the follower's business),
// reads the rotated files first when backfilling (--from-start), applies `counters
// clear` requests, and checkpoints MTA-MIB counters, imsimta counters, queued recipients,
// open connections and the log position together (as the Postfix source does).

import { execFile } from 'node:child_process';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Settings } from '../../config/config.js';
import type { SunMtaSettings } from '../../config/sun-mta.js';
import type { Logger } from '../../log.js';
import type { MailSystem, SourceInput } from '../../model/mail-system.js';
import { restoreModel, snapshotModel, type ModelSnapshot } from '../../model/persist.js';
import { Checkpoint } from '../../state/checkpoint.js';
import { CheckpointSaver } from '../../state/checkpoint-saver.js';
import { watchClears } from '../../state/counters-clear.js';
import { registerSource, type Source } from '../registry.js';
import { FileFollower, type FilePosition, type FollowerStatus } from '../tail/index.js';
import { SunLog, type SunLogState } from './apply.js';

export interface SunMtaCheckpoint {
  version: 1;
  model: ModelSnapshot;
  log: SunLogState;
  position?: FilePosition;
}

export const SUN_CHECKPOINT = 'sun-mta';

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
  private slog?: SunLog;
  private follower?: FileFollower;
  private readonly checkpoint: Checkpoint<SunMtaCheckpoint>;
  private model?: MailSystem;
  private log?: Logger;
  private input?: SourceInput;
  private saver?: CheckpointSaver<SunMtaCheckpoint, FilePosition>;
  private clears?: ReturnType<typeof watchClears>;
  private ready = false;

  constructor(
    private readonly settings: SunMtaSettings,
    private readonly stateDir: string,
    private readonly fromStart: boolean,
  ) {
    this.checkpoint = new Checkpoint(stateDir, SUN_CHECKPOINT, isSunCheckpoint);
  }

  async start(model: MailSystem, log: Logger): Promise<void> {
    this.model = model;
    this.log = log;
    this.saver = new CheckpointSaver(this.checkpoint, (position) => this.body(position), log, (at) => {
      if (this.input) this.input.lastCheckpoint = at;
    });
    const saved = this.checkpoint.load();
    if (saved) restoreModel(model, saved.model);
    const slog = (this.slog = new SunLog(model, saved?.log.appName ?? this.settings.application, this.settings));
    if (this.settings.versionCommand) {
      const version = await mtaVersion(this.settings.versionCommand);
      if (version.ok) slog.app.version = version.text;
      else log.warn({ command: this.settings.versionCommand, err: version.text }, 'cannot tell the MTA version; applVersion stays as it was');
    }
    if (saved) {
      slog.restore(saved.log);
      log.info({ file: this.checkpoint.file, lines: saved.log.stats.lines }, 'resumed from checkpoint');
    }
    this.input = model.addInput('sun-mta log', this.settings.log);
    if (this.fromStart && !saved) {
      for (const f of await backfillFiles(this.settings.log)) {
        await this.readWhole(f);
        this.counted();
      }
    }
    this.counted();
    this.ready = true;
    // a clear asked for while the agent was stopped: applied now, saved with the first batch
    // (a checkpoint without the log position would skip the current file on a restart)
    this.clears = watchClears(this.stateDir, () => slog.clearSeq, (req, timer) => {
      slog.clear(req.seq, req.at);
      log.info({ seq: req.seq, at: new Date(req.at).toISOString() }, 'channel counters cleared');
      if (timer) this.saver?.save(this.follower?.position());
    });
    this.clears.check();
    this.follower = new FileFollower(this.settings.log, {
      fromStart: this.fromStart && !saved,
      position: saved?.position,
      onStatus: (s) => this.status(s),
      onError: (err) => log.error({ err: err.message }, 'applying log lines failed'),
      onBatch: (lines, pos) => {
        for (const l of lines) slog.line(l);
        this.counted();
        this.saver?.saved(pos, lines.length === 0);
      },
    });
    this.follower.start();
  }

  /** A rotated file, start to end (backfill only: it is written no more). */
  private async readWhole(file: string): Promise<void> {
    const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const l of rl) this.slog!.line(l);
    this.log?.info({ file }, 'backfilled');
  }

  private counted(): void {
    if (!this.input || !this.slog) return;
    this.input.lines = this.slog.stats.lines;
    this.input.unparsed = this.slog.unparsed();
  }

  private status(s: FollowerStatus): void {
    if (!this.model || !this.input || !this.slog) return;
    this.model.inputStatus(this.input, s.ok, s.ok ? '' : s.reason);
    const app = this.slog.app;
    const want = s.ok ? 'up' : 'down';
    if (app.operStatus !== want) {
      app.operStatus = want;
      app.lastChange = Date.now();
    }
    if (!s.ok) this.log?.error({ log: this.settings.log, reason: s.reason }, 'sun-mta log unreadable; retrying');
  }

  /** What is checkpointed (by this.saver, at most once a second, on a clear and at stop). */
  private body(position: FilePosition | undefined): SunMtaCheckpoint | undefined {
    if (!this.slog || !this.model) return undefined;
    const name = this.slog.appName;
    return {
      version: 1,
      model: snapshotModel(this.model, (app) => app.name === name),
      log: this.slog.snapshot(),
      position,
    };
  }

  async stop(): Promise<void> {
    this.clears?.stop();
    await this.follower?.stop();
    if (this.ready) this.saver?.flush(this.follower?.position());
    else this.saver?.cancel();
  }
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

registerSource('sun-mta', (s: Settings) => (s.sunMta ? new SunMtaSource(s.sunMta, s.stateDir, s.fromStart) : undefined));

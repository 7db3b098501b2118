// Real journal files for tests, written by systemd-journal-remote (Debian package
// systemd-journal-remote) from the journal export format, for the real journalctl to
// read (`journalctl --file FILE`): no journald runs where the tests run.

import { execFileSync } from 'node:child_process';

/** The writer of journal files; tests that need one skip where it is missing. */
export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';

/** A journal entry: __REALTIME_TIMESTAMP in µs, and its fields (binary-safe where a Buffer). */
export type ExportEntry = [number, Record<string, string | Buffer>];

/** Journal export format for entries of (realtime µs, fields); binary-safe fields where needed. */
export function exportFormat(entries: ExportEntry[]): Buffer {
  const out: Buffer[] = [];
  entries.forEach(([t, fields], i) => {
    const all: Record<string, string | Buffer> = { __REALTIME_TIMESTAMP: String(t), __MONOTONIC_TIMESTAMP: String(1000 + i), _BOOT_ID: 'b'.repeat(32), ...fields };
    for (const [k, v] of Object.entries(all)) {
      const b = Buffer.isBuffer(v) ? v : Buffer.from(v);
      if (b.some((x) => x < 32)) {
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(b.length));
        out.push(Buffer.from(`${k}\n`), len, b, Buffer.from('\n'));
      } else out.push(Buffer.from(`${k}=`), b, Buffer.from('\n'));
    }
    out.push(Buffer.from('\n'));
  });
  return Buffer.concat(out);
}

/**
 * Appends entries to the journal file `file` (made when missing). systemd refuses to
 * append an entry dated before the file's last one, and one later than the wall clock
 * is a trap for tests on another date: date entries relative to Date.now(), in the past.
 */
export function writeJournal(file: string, entries: ExportEntry[]): void {
  execFileSync(JOURNAL_REMOTE, ['-o', file, '-'], { input: exportFormat(entries), stdio: ['pipe', 'ignore', 'ignore'], maxBuffer: 1 << 30 });
}

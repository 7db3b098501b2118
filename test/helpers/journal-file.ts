// Journal files for tests: entries in the journal export format, written to a real journal
// file by systemd-journal-remote (Debian package systemd-journal-remote), which the real
// journalctl then reads with --file.

import { execFileSync } from 'node:child_process';

/** systemd-journal-remote (absent: the tests that need it skip) */
export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';

/** Journal export format for entries of (realtime µs, fields); binary-safe fields where needed. */
export function exportFormat(entries: [number, Record<string, string | Buffer>][]): Buffer {
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
 * Appends entries of (realtime µs, fields) to the journal file `file`. systemd refuses to
 * append an entry dated before the file's last one or after the wall clock: date them
 * from the clock.
 */
export function writeJournal(file: string, entries: [number, Record<string, string | Buffer>][]): void {
  execFileSync(JOURNAL_REMOTE, ['-o', file, '-'], { input: exportFormat(entries), stdio: ['pipe', 'ignore', 'ignore'] });
}

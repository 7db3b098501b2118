// Splits a byte stream into lines, tracking the byte offset just after each line.
// The caller reads into `buffer` at `readTarget()`, then calls `scan(n)`.
//
// - A line ends at LF; one CR before the LF is removed (CRLF files).
// - Bytes are decoded as UTF-8 with replacement characters; this never throws.
// - A line longer than maxLineBytes is cut at that length (on a character
//   boundary) and counted as truncated; the rest of it, up to its LF, is skipped
//   without being kept in memory. It is delivered when its LF arrives, so the
//   offset after it is always a line boundary.
// - An incomplete last line stays pending until its LF arrives, or until the
//   caller takes it with `takePartial()` (the file was rotated away).

export interface ScanResult {
  lines: string[];
  /** ends[i]: stream offset just after lines[i] (after its LF) */
  ends: number[];
  /** how many of these lines were cut to maxLineBytes */
  truncated: number;
}

const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  readonly buffer: Buffer;
  /** bytes of the current incomplete line kept at buffer[0..carry) */
  private carry = 0;
  /** stream offset of buffer[0] */
  private base = 0;
  /** head of an over-long line whose remaining bytes are being skipped */
  private longHead: string | null = null;
  /** stream offset where the current incomplete line starts */
  private lineStart = 0;
  /** stream offset of the next byte to read */
  private next = 0;

  constructor(
    private readonly chunkBytes: number,
    private readonly maxLineBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(chunkBytes + maxLineBytes + 1);
  }

  /** Forgets any pending bytes and continues at stream offset `offset`. */
  reset(offset: number): void {
    this.carry = 0;
    this.base = offset;
    this.longHead = null;
    this.lineStart = offset;
    this.next = offset;
  }

  /** Stream offset of the next byte to read. */
  get readOffset(): number {
    return this.next;
  }

  /** Stream offset just after the last complete line (where an incomplete line starts). */
  get lineOffset(): number {
    return this.lineStart;
  }

  /** Where the next read goes in `buffer`. */
  readTarget(): { offset: number; length: number } {
    return { offset: this.carry, length: this.chunkBytes };
  }

  /** Splits the `n` bytes just read into buffer at readTarget().offset. */
  scan(n: number): ScanResult {
    const buf = this.buffer;
    const total = this.carry + n;
    const view = buf.subarray(0, total);
    const lines: string[] = [];
    const ends: number[] = [];
    let truncated = 0;
    let i = 0;
    this.next += n;

    if (this.longHead !== null) {
      const nl = view.indexOf(LF);
      if (nl < 0) {
        this.base += total;
        this.carry = 0;
        return { lines, ends, truncated };
      }
      lines.push(this.longHead);
      ends.push(this.base + nl + 1);
      truncated++;
      this.longHead = null;
      i = nl + 1;
    }

    const max = this.maxLineBytes;
    for (;;) {
      const nl = view.indexOf(LF, i);
      if (nl < 0) break;
      let end = nl;
      if (end > i && buf[end - 1] === CR) end--;
      if (end - i > max) {
        lines.push(this.decodeCut(i, i + max));
        truncated++;
      } else {
        lines.push(buf.toString('utf8', i, end));
      }
      i = nl + 1;
      ends.push(this.base + i);
    }

    const rest = total - i;
    this.lineStart = this.base + i;
    if (rest > max) {
      this.longHead = this.decodeCut(i, i + max);
      this.base += total;
      this.carry = 0;
    } else {
      if (rest > 0 && i > 0) buf.copy(buf, 0, i, total);
      this.base += i;
      this.carry = rest;
    }
    return { lines, ends, truncated };
  }

  /** Bytes read but not yet part of a complete line. */
  get pending(): number {
    return this.next - this.lineStart;
  }

  /**
   * Takes the incomplete last line (for a file that was rotated away or truncated):
   * returns it with the offset after it, or undefined when there is none.
   */
  takePartial(): { line: string; end: number; truncated: boolean } | undefined {
    if (this.pending === 0) return undefined;
    let out: { line: string; end: number; truncated: boolean };
    if (this.longHead !== null) {
      out = { line: this.longHead, end: this.next, truncated: true };
    } else {
      let end = this.carry;
      if (end > 0 && this.buffer[end - 1] === CR) end--;
      out = { line: this.buffer.toString('utf8', 0, end), end: this.next, truncated: false };
    }
    this.reset(this.next);
    return out;
  }

  /** Decodes buffer[from..to) after moving `to` back to the start of a UTF-8 sequence. */
  private decodeCut(from: number, to: number): string {
    const buf = this.buffer;
    let cut = to;
    for (let k = 0; k < 3 && cut > from && (buf[cut]! & 0xc0) === 0x80; k++) cut--;
    if ((buf[cut]! & 0xc0) === 0x80) cut = to; // not UTF-8 anyway: cut where asked
    return buf.toString('utf8', from, cut);
  }
}

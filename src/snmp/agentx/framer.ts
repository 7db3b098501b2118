// Cuts the byte stream from the master into PDUs, whatever its chunks: a PDU split over
// many reads, several PDUs in one, or both.

import { HEADER_SIZE, readHeader, type Header } from './pdu.js';

/** Splits a byte stream into PDUs, whatever the TCP chunks; throws AgentxParseError when it cannot frame. */
export class Framer {
  private pending: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer, onPdu: (h: Header, buf: Buffer) => void): void {
    this.pending.push(chunk);
    this.size += chunk.length;
    while (this.size >= HEADER_SIZE) {
      const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.size);
      const h = readHeader(buf);
      const total = HEADER_SIZE + h.payloadLength;
      if (buf.length < total) {
        this.pending = [buf];
        return;
      }
      const rest = buf.subarray(total);
      this.pending = rest.length ? [rest] : [];
      this.size = rest.length;
      onPdu(h, buf.subarray(0, total));
    }
  }

  reset(): void {
    this.pending = [];
    this.size = 0;
  }
}

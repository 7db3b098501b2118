// Cuts the byte stream from the master into PDUs, whatever its chunks: a PDU split over
// many reads, several PDUs in one, or both.

import { HEADER_SIZE, readHeader, type Header } from './pdu.js';

/** Splits a byte stream into PDUs, whatever the TCP chunks; throws AgentxParseError when it cannot frame. */
export class Framer {
  // Chunks are kept as they come and joined once a whole PDU is there: re-joining on
  // every chunk would be quadratic in a PDU that arrives byte by byte.
  private pending: Buffer[] = [];
  private size = 0;
  /** header + payload length of the PDU being gathered; 0 until its header is in */
  private need = 0;

  push(chunk: Buffer, onPdu: (h: Header, buf: Buffer) => void): void {
    this.pending.push(chunk);
    this.size += chunk.length;
    while (this.size >= HEADER_SIZE) {
      if (this.need === 0) {
        const head = this.pending[0]!.length >= HEADER_SIZE ? this.pending[0]! : this.join();
        this.need = HEADER_SIZE + readHeader(head).payloadLength;
      }
      if (this.size < this.need) return;
      const buf = this.join();
      const h = readHeader(buf);
      const rest = buf.subarray(this.need);
      this.pending = rest.length ? [rest] : [];
      this.size = rest.length;
      const pdu = buf.subarray(0, this.need);
      this.need = 0;
      onPdu(h, pdu);
    }
  }

  reset(): void {
    this.pending = [];
    this.size = 0;
    this.need = 0;
  }

  private join(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.size)];
    return this.pending[0]!;
  }
}

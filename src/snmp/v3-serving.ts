// An SNMPv3 message from the wire to its answer: RFC 3412 header checks, USM
// (usm/usm.ts), then the user's access (its minimum level and view) and the
// engine. Every way it can end is counted where RFC 3412/3414 say.

import { BerError } from './ber.js';
import type { BulkCaps } from './bulk.js';
import { answer } from './engine.js';
import { encodeResponse } from './message.js';
import type { OidIndex } from './oid-index.js';
import { InvalidMessageError, UnknownSecurityModelError, decodeV3 } from './usm/message3.js';
import type { SecurityLevel, Usm } from './usm/usm.js';
import type { SnmpStats } from './stats.js';
import type { MibView } from './vacm.js';

/** What a user may read: rouser's minimum level and view. */
export interface UserAccess {
  minLevel: SecurityLevel;
  view?: MibView;
}

export interface V3Serving {
  usm: Usm;
  /** by user name; a USM user without an entry may read nothing */
  access: ReadonlyMap<string, UserAccess>;
}

/** RFC 3416 error-status authorizationError */
const AUTHORIZATION_ERROR = 16;

export interface V3Result {
  message: Buffer | null;
  /** why nothing, or a Report, was sent (for the log) */
  note?: string;
}

export function serveV3(
  v3: V3Serving,
  buf: Buffer,
  ctx: { index: OidIndex; stats: SnmpStats; maxSize: number; beginRequest?: () => void; caps?: BulkCaps },
): V3Result {
  const { stats } = ctx;
  let m;
  try {
    m = decodeV3(buf);
  } catch (err) {
    if (err instanceof InvalidMessageError) stats.invalidMsgs++;
    else if (err instanceof UnknownSecurityModelError) stats.unknownSecurityModels++;
    else stats.inASNParseErrs++;
    return { message: null, note: `SNMPv3: ${err instanceof BerError ? 'malformed: ' : ''}${(err as Error).message}` };
  }
  const out = v3.usm.process(m);
  if (out.kind === 'drop') {
    if (out.parseError) stats.inASNParseErrs++;
    return { message: null, note: `SNMPv3: ${out.reason}` };
  }
  if (out.kind === 'report') return { message: out.message, note: `SNMPv3 report: ${out.reason}` };
  const access = v3.access.get(out.user.name);
  if (!access || out.level < access.minLevel) {
    // RFC 3415 noAccessEntry / noSuchView for a read: the PDU is refused as a whole
    const vbs = out.req.pdu.varbinds.map((v) => v.raw);
    const msg = encodeResponse(out.req, AUTHORIZATION_ERROR, 0, vbs);
    return { message: msg.length <= Math.min(ctx.maxSize, out.maxSize) ? msg : null, note: `user ${out.user.name} may not read at this level` };
  }
  ctx.beginRequest?.();
  const msg = answer(ctx.index, out.req, Math.min(ctx.maxSize, out.maxSize), stats, access.view, ctx.caps);
  return { message: msg, note: msg ? undefined : 'response too big even as tooBig' };
}

// GetBulk, once for every transport: the UDP engine (RFC 3416 §4.2.3) and the AgentX
// responder (RFC 2741 §7.2.3.3) both plan a request with snmpd.conf's two caps and walk
// it here; each says only how to answer one varbind and when its response is full.

/**
 * snmpd.conf's GetBulk caps, with Net-SNMP's meaning (agent/snmp_agent.c): the
 * repetitions are cut to min(max-repetitions, maxGetbulkRepeats,
 * floor(maxGetbulkResponses / repeaters)); non-repeaters are not counted.
 */
export interface BulkCaps {
  /** repetitions per repeater; 0 or -1 (the default): as many as maxGetbulkResponses allows */
  maxGetbulkRepeats: number;
  /** repeated varbinds per response; 0: the default, 100; -1: no cap but the message size */
  maxGetbulkResponses: number;
}

/** snmpd's defaults: 100 repeated varbinds per response. */
export const DEFAULT_BULK_CAPS: Readonly<BulkCaps> = { maxGetbulkRepeats: -1, maxGetbulkResponses: 100 };

/** No cap but the message size (tests of truncation, benchmarks). */
export const UNCAPPED_BULK: Readonly<BulkCaps> = { maxGetbulkRepeats: -1, maxGetbulkResponses: -1 };

/** How a GetBulk request is answered: N non-repeaters once, then M rounds of the R repeaters. */
export interface BulkPlan {
  nonRepeaters: number;
  repeaters: number;
  repetitions: number;
}

/** RFC 3416 §4.2.3's N, R and M for `count` varbinds, M cut by the caps (negative fields count as 0). */
export function planBulk(count: number, nonRepeaters: number, maxRepetitions: number, caps: BulkCaps = DEFAULT_BULK_CAPS): BulkPlan {
  const n = Math.min(Math.max(nonRepeaters, 0), count);
  const r = count - n;
  if (r === 0) return { nonRepeaters: n, repeaters: 0, repetitions: 0 };
  const responses = caps.maxGetbulkResponses === 0 ? 100 : caps.maxGetbulkResponses < 0 ? Infinity : caps.maxGetbulkResponses;
  const fit = Math.floor(responses / r);
  const repeats = caps.maxGetbulkRepeats <= 0 || caps.maxGetbulkRepeats > fit ? fit : caps.maxGetbulkRepeats;
  return { nonRepeaters: n, repeaters: r, repetitions: Math.min(Math.max(maxRepetitions, 0), repeats) };
}

/** What a transport does for the walk; `C` is where a varbind's search starts (an OID, an AgentX range). */
export interface BulkResponse<C> {
  /**
   * Answers varbind `at` with the first instance after `from`, and returns where the
   * next search of that repeater starts; or answers endOfMibView and returns undefined.
   */
  next(from: C, at: number): C | undefined;
  /** Answers endOfMibView again for varbind `at`, a repeater that ended at `from`. */
  ended(from: C, at: number): void;
  /** After each varbind: false when it did not fit (it is taken back), which ends the response. */
  fits(): boolean;
  /** After each whole round: false to stop there (no room for another). */
  roundDone(): boolean;
}

/**
 * Walks a planned GetBulk: each non-repeater once, then round after round of the
 * repeaters, stopping at M rounds, when the response is full, or once every repeater
 * has reached the end of the view (more rounds would only repeat endOfMibView, as
 * Net-SNMP also stops: a tiny request must not buy a full datagram of them).
 */
export function walkBulk<C>(starts: readonly C[], plan: BulkPlan, out: BulkResponse<C>): void {
  const n = plan.nonRepeaters;
  for (let i = 0; i < n; i++) {
    out.next(starts[i]!, i);
    if (!out.fits()) return;
  }
  const last = starts.slice(n);
  const ended = new Array<boolean>(plan.repeaters).fill(false);
  let live = plan.repeaters;
  for (let rep = 0; rep < plan.repetitions && live > 0; rep++) {
    for (let j = 0; j < plan.repeaters; j++) {
      if (ended[j]) out.ended(last[j]!, n + j);
      else {
        const at = out.next(last[j]!, n + j);
        if (at === undefined) {
          ended[j] = true;
          live--;
        } else last[j] = at;
      }
      if (!out.fits()) return;
    }
    if (!out.roundDone() || live === 0) return;
  }
}

// `madman counters` rows of the Postfix source: the imsimta counters of its groups, kept in
// its checkpoint (postfix.json, imsimta.ts) with the meanings they have for the Sun MTA; a
// `counters clear` the agent has not applied yet shows them as cleared.

import type { ModelSnapshot } from '../../model/persist.js';
import type { ClearRequest } from '../../state/counters-clear.js';
import { checkpointIn, counterReports, type ChannelReport } from '../kit/counters-rows.js';
import type { PostfixLogState } from './state.js';

/**
 * The groups' rows. A checkpoint written before the Postfix source kept these counters
 * has none: they count from the first checkpoint of an agent that does.
 */
export function postfixReports(stateDir: string, req: ClearRequest | undefined): ChannelReport[] {
  const cp = checkpointIn<{ model: ModelSnapshot; log?: PostfixLogState }>(stateDir, 'postfix');
  const cc = cp?.log?.channelCounters;
  if (!cp || !cc || !Array.isArray(cc.counters)) return [];
  const names = new Map(cp.model.applications.map((a) => [a.index, a.name]));
  return counterReports('postfix', cc.counters, (c) => names.get(c.app) ?? `application ${c.app}`, cc.clearSeq, req);
}

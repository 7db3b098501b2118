// `madman counters` rows of the Sun MTA source: the imsimta counters it keeps in its
// checkpoint (sun-mta.json); a `counters clear` the agent has not applied yet shows them
// as cleared.

import type { ModelSnapshot } from '../../model/persist.js';
import type { ClearRequest } from '../../state/counters-clear.js';
import { checkpointIn, counterReports, type ChannelReport } from '../kit/counters-rows.js';
import type { SunLogState } from './state.js';

/** The checkpoint's name in the state directory (sun-mta.json). */
export const SUN_CHECKPOINT = 'sun-mta';

export function sunReports(stateDir: string, req: ClearRequest | undefined): ChannelReport[] {
  const cp = checkpointIn<{ model: ModelSnapshot; log?: SunLogState }>(stateDir, SUN_CHECKPOINT);
  const log = cp?.log;
  if (!log || !Array.isArray(log.counters)) return [];
  return counterReports('sun-mta', log.counters, () => log.appName, log.clearSeq, req);
}

// `madman counters` rows of the Sendmail source: the imsimta counters it keeps in its
// checkpoint (sendmail.json); a `counters clear` the agent has not applied yet shows them
// as cleared. Submitted and Stored have no Sendmail log line and stay empty.

import type { CounterKind } from '../../model/channel-counters.js';
import type { ModelSnapshot } from '../../model/persist.js';
import type { ClearRequest } from '../../state/counters-clear.js';
import { checkpointIn, counterReports, type ChannelReport } from '../kit/counters-rows.js';
import type { SendmailState } from './state.js';

/** The checkpoint's name in the state directory (sendmail.json). */
export const SENDMAIL_CHECKPOINT = 'sendmail';

const NOT_COUNTED: ReadonlySet<CounterKind> = new Set(['submitted', 'stored']);

/** The rows `madman counters show` prints for the Sendmail source, from its checkpoint. */
export function sendmailReports(stateDir: string, req: ClearRequest | undefined): ChannelReport[] {
  const s = checkpointIn<{ model: ModelSnapshot } & Partial<SendmailState>>(stateDir, SENDMAIL_CHECKPOINT)?.sendmail;
  if (!s || !Array.isArray(s.counters)) return [];
  return counterReports('sendmail', s.counters, () => s.appName, s.clearSeq, req, NOT_COUNTED);
}

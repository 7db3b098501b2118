// Runs one check of a service by its protocol, and judges the outcome against the
// service's thresholds (the way check_smtp and friends do: a failure is critical; a
// success slower than -c is critical, slower than -w a warning).

import type { ProbeSpec } from './config.js';
import type { CheckStatus } from '../../model/checks.js';
import { probeHttp } from './http.js';
import { probeImap } from './imap.js';
import { probeLdap } from './ldap.js';
import { errorText, type ProbeOutcome } from './phases.js';
import { probePop3 } from './pop3.js';
import { probeRoundtrip } from './roundtrip.js';
import { probeSmtp } from './smtp.js';

export async function runProbe(spec: ProbeSpec): Promise<ProbeOutcome> {
  try {
    switch (spec.protocol) {
      case 'smtp':
      case 'submission':
      case 'lmtp':
        return await probeSmtp(spec);
      case 'imap':
        return await probeImap(spec);
      case 'pop3':
        return await probePop3(spec);
      case 'ldap':
        return await probeLdap(spec);
      case 'http':
        return await probeHttp(spec);
      case 'roundtrip':
        return await probeRoundtrip(spec);
    }
  } catch (err) {
    // the probes catch their own errors; this is for the ones thrown before they could
    return { ok: false, phases: [], totalMs: 0, reason: `probe: ${errorText(err)}` };
  }
}

export interface Judgement {
  status: CheckStatus;
  /** the failure, or which threshold the time went over ('' when ok) */
  reason: string;
}

export function judge(o: ProbeOutcome, spec: Pick<ProbeSpec, 'warning' | 'critical'>): Judgement {
  if (!o.ok) return { status: 'critical', reason: o.reason };
  const s = o.totalMs / 1000;
  if (spec.critical !== undefined && s > spec.critical) {
    return { status: 'critical', reason: `response time ${s.toFixed(3)} s over the critical threshold of ${spec.critical} s` };
  }
  if (spec.warning !== undefined && s > spec.warning) {
    return { status: 'warning', reason: `response time ${s.toFixed(3)} s over the warning threshold of ${spec.warning} s` };
  }
  return { status: 'ok', reason: '' };
}

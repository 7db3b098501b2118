// The alarms madman knows, with their defaults. diskavail and serverresponse are Sun's
// msprobe alarms (alarm.diskavail.*, alarm.serverresponse.*); the others watch what a
// Postfix/Dovecot system shows. docs/alarms.md lists them; config (alarms: NAME: ...)
// overrides any field.

import type { AlarmRule } from '../model/alarms.js';

const DAY = 24 * 3600;

export const ALARM_DEFAULTS: Readonly<Record<string, AlarmRule>> = {
  diskavail: {
    name: 'diskavail',
    description: 'percentage mail partition diskspace available',
    threshold: 10,
    clearThreshold: 12,
    direction: 'below',
    statInterval: 3600,
    warningInterval: DAY,
  },
  serverresponse: {
    name: 'serverresponse',
    // seconds, as Sun's alarm.serverresponse (decimals allowed: 0.5)
    description: 'server response time in seconds',
    threshold: 10,
    clearThreshold: 8,
    direction: 'above',
    statInterval: 600,
    warningInterval: DAY,
  },
  queuesize: {
    name: 'queuesize',
    description: 'messages in the MTA queue',
    threshold: 1000,
    clearThreshold: 800,
    direction: 'above',
    statInterval: 300,
    warningInterval: DAY,
  },
  queueage: {
    name: 'queueage',
    description: 'age in seconds of the oldest queued message',
    threshold: 4 * 3600,
    clearThreshold: 3 * 3600,
    direction: 'above',
    statInterval: 300,
    warningInterval: DAY,
  },
  failedlogins: {
    name: 'failedlogins',
    description: 'failed logins per minute',
    threshold: 30,
    clearThreshold: 20,
    direction: 'above',
    statInterval: 60,
    warningInterval: DAY,
  },
  rejects: {
    name: 'rejects',
    description: 'rejected messages per minute',
    threshold: 100,
    clearThreshold: 80,
    direction: 'above',
    statInterval: 60,
    warningInterval: DAY,
  },
  quota: {
    name: 'quota',
    description: 'users at or above their quota warning percentage',
    threshold: 1,
    clearThreshold: 1,
    direction: 'above',
    statInterval: 3600,
    warningInterval: DAY,
  },
  servicedown: {
    name: 'servicedown',
    description: 'service is down (1) or up (0)',
    threshold: 1,
    clearThreshold: 1,
    direction: 'above',
    statInterval: 10,
    warningInterval: DAY,
  },
};

export const ALARM_NAMES: readonly string[] = Object.keys(ALARM_DEFAULTS);

/** Notifications each alarm sends when raised (and repeated) and when cleared. */
export function notificationNames(alarm: string): { raised: string; cleared: string } {
  return alarm === 'servicedown'
    ? { raised: 'madmanServiceDown', cleared: 'madmanServiceUp' }
    : { raised: 'madmanAlarmRaised', cleared: 'madmanAlarmCleared' };
}

/**
 * The probes serverresponse can never be raised for: their checks complete within their
 * timeout, so a threshold not below it is never reached (config rejects a threshold set
 * so for every probe; the default, or one set for some, is logged at start).
 */
export function probesUnderResponseThreshold(rules: readonly AlarmRule[], probes: ReadonlyArray<{ name: string; protocol: string; timeout: number }>): string[] {
  const rule = rules.find((r) => r.name === 'serverresponse');
  if (!rule || rule.statInterval <= 0) return [];
  return probes.filter((p) => p.timeout <= rule.threshold).map((p) => `${p.name} ${p.protocol}`);
}

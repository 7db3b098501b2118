// The state machine of one alarm instance, with Sun's counterutil alarm fields.
// Raised when the value reaches the threshold (at or beyond it, as Sun's sample notice
// "is 10 ... when over threshold of 10" shows); cleared only once the value is beyond
// the clear threshold, so a value hovering at the threshold raises once, not on every
// measurement. While raised and still at or over the threshold, the raised notification
// is repeated once the warning interval has passed since the last one.

import type { AlarmDirection, AlarmInstance } from '../model/alarms.js';

export type AlarmTransition = 'raised' | 'repeated' | 'cleared';

export function reaches(value: number, threshold: number, direction: AlarmDirection): boolean {
  return direction === 'above' ? value >= threshold : value <= threshold;
}

export function clears(value: number, clearThreshold: number, direction: AlarmDirection): boolean {
  return direction === 'above' ? value < clearThreshold : value > clearThreshold;
}

/** Records a measurement at `now` (ms); returns what to notify, if anything. */
export function record(a: AlarmInstance, value: number, now: number): AlarmTransition | undefined {
  a.current = value;
  a.high = a.high === undefined || value > a.high ? value : a.high;
  a.low = a.low === undefined || value < a.low ? value : a.low;
  a.timeLastSet = now;
  const over = reaches(value, a.threshold, a.direction);
  if (!a.warningState) {
    if (!over) return undefined;
    a.warningState = true;
    a.countOverThreshold++;
    a.timeStateChanged = now;
    warned(a, now);
    return 'raised';
  }
  if (clears(value, a.clearThreshold, a.direction)) {
    a.warningState = false;
    a.timeStateChanged = now;
    return 'cleared';
  }
  if (over && a.warningInterval > 0 && now - (a.timeLastWarning ?? 0) >= a.warningInterval * 1000) {
    warned(a, now);
    return 'repeated';
  }
  return undefined;
}

function warned(a: AlarmInstance, now: number): void {
  a.countWarningSent++;
  a.timeLastWarning = now;
}

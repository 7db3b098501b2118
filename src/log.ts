// Structured logs: one JSON line per event on stderr (stdout is for what a
// person asked to see). Quiet by default: warnings and errors only.

import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = 'warn'): Logger {
  return pino({ level, base: { name: 'madman' } }, pino.destination({ fd: 2, sync: true }));
}

export const silentLogger: Logger = pino({ level: 'silent' });

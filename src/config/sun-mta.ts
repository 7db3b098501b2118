// The `sunMta` part of the configuration: the Messaging Server MTA log to follow.

import path from 'node:path';

export interface SunMtaSettings {
  /** mail.log_current */
  log: string;
  /** applName of the MTA; default "Messaging Server MTA on <host>" */
  application?: string;
}

export interface SunMtaFile {
  log: string;
  application?: string;
}

export const sunMtaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['log'],
  properties: {
    log: { type: 'string', minLength: 1 },
    application: { type: 'string', minLength: 1 },
  },
} as const;

/** The file's section (paths relative to the file), then the --sun-mta-log flag. */
export function sunMtaSettings(file: SunMtaFile | undefined, configFile: string | undefined, flag: string | undefined): SunMtaSettings | undefined {
  let s: SunMtaSettings | undefined;
  if (file) s = { log: path.resolve(configFile ? path.dirname(configFile) : '.', file.log), application: file.application };
  if (flag) s = { ...s, log: path.resolve(flag) };
  return s;
}

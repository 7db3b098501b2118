// The `sunMta` part of the configuration: the Messaging Server MTA log to follow.

import path from 'node:path';
import { mtaDescription, mtaDescriptionProperties, type MtaDescription } from './mta-description.js';

export interface SunMtaSettings extends MtaDescription {
  /** mail.log_current */
  log: string;
  /** applName of the MTA; default "Messaging Server MTA on <host>" */
  application?: string;
  /** a command printing the MTA's version (`imsimta version`): its applVersion */
  versionCommand?: string;
}

export interface SunMtaFile extends MtaDescription {
  log: string;
  application?: string;
  versionCommand?: string;
}

export const sunMtaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['log'],
  properties: {
    log: { type: 'string', minLength: 1 },
    application: { type: 'string', minLength: 1 },
    versionCommand: { type: 'string', minLength: 1 },
    ...mtaDescriptionProperties,
  },
} as const;

/** The file's section (paths relative to the file), then the --sun-mta-log flag. */
export function sunMtaSettings(file: SunMtaFile | undefined, configFile: string | undefined, flag: string | undefined): SunMtaSettings | undefined {
  let s: SunMtaSettings | undefined;
  if (file) {
    s = { log: path.resolve(configFile ? path.dirname(configFile) : '.', file.log), application: file.application, ...mtaDescription(file) };
    if (file.versionCommand !== undefined) s.versionCommand = file.versionCommand;
  }
  if (flag) s = { ...s, log: path.resolve(flag) };
  return s;
}

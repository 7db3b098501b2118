// The `sunMta:` section and --sun-mta-log: the Messaging Server MTA log to follow.

import { mtaDescription, mtaDescriptionProperties, type MtaDescription } from '../../config/mta-description.js';
import type { FlagDeclaration, SettingsInput } from '../registry.js';

/** With applURL, applDirectoryName and mtaGroupURL (url, directoryName, groupUrls) the log cannot give. */
export interface SunMtaSettings extends MtaDescription {
  /** mail.log_current */
  log: string;
  /** applName of the MTA; default "Messaging Server MTA on <host>" */
  application?: string;
  /** a command printing the MTA's version (`imsimta version`): its applVersion */
  versionCommand?: string;
}

/** The section as the file has it. */
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

export const sunMtaFlags: readonly FlagDeclaration[] = [
  { flags: '--sun-mta-log <path>', description: 'follow this Messaging Server MTA log (mail.log_current)' },
];

/** The file's section (paths relative to the file), then the --sun-mta-log flag. */
export function sunMtaSettings({ file, flags, filePath, flagPath }: SettingsInput<SunMtaFile>): SunMtaSettings | undefined {
  let s: SunMtaSettings | undefined;
  if (file) {
    s = { log: filePath(file.log), application: file.application, ...mtaDescription(file) };
    if (file.versionCommand !== undefined) s.versionCommand = file.versionCommand;
  }
  const flag = flags.sunMtaLog as string | undefined;
  if (flag) s = { ...s, log: flagPath(flag) };
  return s;
}

// What an MTA's configuration section may say about it that its logs cannot: the URL
// and directory entry describing the MTA (applURL, applDirectoryName) and a URL per group
// (mtaGroupURL). Shared by the postfix and sunMta sections:
//   url: https://wiki.example.org/mail/mx1
//   directoryName: cn=mx1,ou=mail,dc=example,dc=org
//   groupUrls: { smtpd: https://wiki.example.org/mail/inbound }

/** applURL, applDirectoryName and mtaGroupURL by group name, as configured. */
export interface MtaDescription {
  url?: string;
  directoryName?: string;
  groupUrls?: Record<string, string>;
}

/** The schema properties of these keys (URLString and DistinguishedName are at most 255 octets). */
export const mtaDescriptionProperties = {
  url: { type: 'string', minLength: 1, maxLength: 255 },
  directoryName: { type: 'string', minLength: 1, maxLength: 255 },
  groupUrls: { type: 'object', additionalProperties: { type: 'string', minLength: 1, maxLength: 255 } },
} as const;

/** The description keys of a section (absent keys left out). */
export function mtaDescription(f: MtaDescription | undefined): MtaDescription {
  const d: MtaDescription = {};
  if (f?.url !== undefined) d.url = f.url;
  if (f?.directoryName !== undefined) d.directoryName = f.directoryName;
  if (f?.groupUrls !== undefined) d.groupUrls = { ...f.groupUrls };
  return d;
}

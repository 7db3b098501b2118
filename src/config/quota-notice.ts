// The `quotaNotice:` part of the configuration: the mail `madman quota -e` sends to each user
// at or above the quota warning percentage (imquotacheck's notification), and to a domain's
// postmaster when a Dovecot domain quota is. Example:
//   quotaNotice:
//     from: postmaster@example.org     # default notify.mail.from, else Postmaster@localhost
//     host: localhost                  # SMTP server; default notify.mail's, else localhost
//     port: 25
//     template: { file: quota-notice.txt }   # or the text itself: "Subject: ...\n\nbody"
//     domainRecipient: postmaster@%d   # who hears of a domain quota (%d: the domain)
//     userDomain: example.org          # for user names without @ (else they are skipped)

import path from 'node:path';

/** `madman quota -e`'s mail settings, defaults filled in (host, port and from fall back to notify.mail at use). */
export interface QuotaNoticeSettings {
  from?: string;
  host?: string;
  port?: number;
  /** the template's text, or the file it is read from (resolved against the config file) */
  template?: { text: string } | { file: string };
  domainRecipient: string;
  userDomain?: string;
}

/** The `quotaNotice:` section as the file holds it. */
export type QuotaNoticeFile = Omit<QuotaNoticeSettings, 'template' | 'domainRecipient'> & { template?: string | { file: string }; domainRecipient?: string };

/** JSON schema of the `quotaNotice:` section. */
export const quotaNoticeSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', minLength: 1 },
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    template: {
      anyOf: [
        { type: 'string', pattern: '^Subject:' },
        { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string', minLength: 1 } } },
      ],
    },
    domainRecipient: { type: 'string', pattern: '@' },
    userDomain: { type: 'string', minLength: 1, pattern: '^[^@\\s]+$' },
  },
} as const;

/** The file's section as settings; relative paths from `dir` (the config file's). */
export function quotaNoticeFromFile(f: QuotaNoticeFile, dir: string): QuotaNoticeSettings {
  const t = f.template;
  return {
    ...f,
    template: t === undefined ? undefined : typeof t === 'string' ? { text: t } : { file: path.resolve(dir, t.file) },
    domainRecipient: f.domainRecipient ?? 'postmaster@%d',
  };
}

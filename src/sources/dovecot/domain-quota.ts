// Which of Dovecot's quota roots are domain quotas. doveadm lists every root of every user
// alike; a domain quota is a root whose quota user is the domain, which Dovecot's own
// documentation writes `quota2 = dict:Domain quota:%d:proxy::quota` (the dict backend's
// third field is the user whose figures are kept: %d, %{domain} or %{user|domain}). So the
// plugin settings (`doveconf plugin`) say which roots count per domain.

import { execFile } from 'node:child_process';
import path from 'node:path';

/** `quotaN = dict:NAME:USER:...` settings whose USER is the domain: the root NAMEs. */
export function domainRootsIn(plugin: string): Set<string> {
  const roots = new Set<string>();
  for (const line of plugin.split('\n')) {
    const m = /^\s*quota\d*\s*=\s*dict:([^:]*):([^:]*):/.exec(line);
    if (m && /^%(?:d|\{domain\}|\{user\s*\|\s*domain\})$/.test(m[2]!.trim())) roots.add(m[1]!);
  }
  return roots;
}

/** doveconf beside the doveadm in use (or on the PATH when doveadm is a bare name). */
export function doveconfFor(doveadm: string): string {
  return doveadm.includes('/') ? path.join(path.dirname(doveadm), 'doveconf') : 'doveconf';
}

/**
 * The domain quota roots of the Dovecot `config` describes (doveadm's own default when
 * undefined); none when doveconf cannot be run (the report then simply has no domain quotas).
 */
export function domainQuotaRoots(doveadm: string, config?: string): Promise<Set<string>> {
  const args = [...(config ? ['-c', config] : []), 'plugin'];
  return new Promise((resolve) => {
    execFile(doveconfFor(doveadm), args, { timeout: 20000 }, (err, stdout) => resolve(err ? new Set() : domainRootsIn(String(stdout))));
  });
}

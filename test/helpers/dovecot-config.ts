// The files a test Dovecot (dovecot-server.ts) runs from: dovecot.conf, written from scratch
// (nothing from /etc/dovecot leaks in), and passwd-file lines for the users and the master
// user. Split from dovecot-server.ts, which starts, stops and reaps the instances.

import path from 'node:path';
import type { DovecotUser } from './dovecot-server.js';

/** A passwd-file line (passdb and userdb): `user:{PLAIN}password::::::userdb_quota_rule=...`. */
export function passwdLine(u: DovecotUser): string {
  if (/[:\n]/.test(u.user + u.password)) throw new Error(`bad user or password for a passwd-file: ${u.user}`);
  const extra = u.quotaRule ? `userdb_quota_rule=${u.quotaRule}` : '';
  return `${u.user}:{PLAIN}${u.password}::::::${extra}\n`;
}

/** DIR/dovecot.conf: the listeners on `ports`, the quota rule, TLS, `extra` appended last. */
export function dovecotConf(dir: string, ports: { imap: number; pop3: number; imaps: number; pop3s: number }, o: { storageKB: number; messages: number; tls: boolean; extra: string }): string {
  const rule = `*:storage=${o.storageKB}K` + (o.messages > 0 ? `:messages=${o.messages}` : '');
  return `# written by test/helpers/dovecot-config.ts (for dovecot-server.ts)
instance_name = ${path.basename(dir)}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
listen = 127.0.0.1
protocols = imap pop3
ssl = ${o.tls ? 'yes' : 'no'}
${o.tls ? `ssl_cert = <${dir}/cert.pem\nssl_key = <${dir}/key.pem\n` : ''}disable_plaintext_auth = no
auth_mechanisms = plain login
auth_master_user_separator = *
# a refused login is answered at once (default 2 s), keeping the tests quick
auth_failure_delay = 0
# one line per failed authentication: how failures before a good login are counted
auth_verbose = yes
first_valid_uid = 8
mail_location = maildir:~/Maildir
mail_plugins = quota
pop3_uidl_format = %08Xu%08Xv

passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/masters
  master = yes
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/users
}
userdb {
  driver = passwd-file
  args = ${dir}/users
  default_fields = uid=mail gid=mail home=${dir}/mail/%d/%n
}

service imap-login {
  inet_listener imap {
    port = ${ports.imap}
  }
  inet_listener imaps {
    port = ${ports.imaps}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${ports.pop3}
  }
  inet_listener pop3s {
    port = ${ports.pop3s}
    ssl = yes
  }
}

# no auth penalty (anvil's growing delay, 2 to 15 s, for an IP after refused logins), which
# would make every test after a refused login wait: Dovecot's documented way to disable it
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

protocol imap {
  mail_plugins = $mail_plugins imap_quota
}

plugin {
  quota = maildir:User quota
  quota_rule = ${rule}
}
${o.extra}
`;
}

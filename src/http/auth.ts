// HTTP authentication: basic (RFC 7617) or bearer tokens (RFC 6750), the credentials
// from the secrets file (config/http.ts). Compared in constant time over digests, so
// neither the length nor the content of a secret leaks through response times.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpSettings } from '../config/http.js';

type Auth = NonNullable<HttpSettings['auth']>;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const same = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

/** Checks requests' Authorization headers against the configured credentials. */
export class Authenticator {
  constructor(private readonly auth: Auth | undefined) {}

  /** True when the request may be answered (always, without auth). */
  allows(header: string | undefined): boolean {
    const a = this.auth;
    if (!a) return true;
    if (!header) return false;
    const m = /^(\S+)\s+(\S+)\s*$/.exec(header);
    if (!m) return false;
    const scheme = m[1]!.toLowerCase();
    if (scheme === 'basic' && a.kinds.includes('basic')) {
      const text = Buffer.from(m[2]!, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon < 0) return false;
      const expected = a.users.get(text.slice(0, colon));
      // compare even for an unknown user, so that its answer takes as long
      return same(text.slice(colon + 1), expected ?? '\u0000') && expected !== undefined;
    }
    if (scheme === 'bearer' && a.kinds.includes('bearer')) {
      let ok = false;
      for (const t of a.tokens) ok = same(m[2]!, t) || ok;
      return ok;
    }
    return false;
  }

  /** WWW-Authenticate values of a 401 answer. */
  challenges(): string[] {
    return (this.auth?.kinds ?? []).map((k) => (k === 'basic' ? 'Basic realm="madman", charset="UTF-8"' : 'Bearer realm="madman"'));
  }
}

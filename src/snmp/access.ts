// Community-based access (RFC 1901): read-only communities, each optionally
// limited to source networks. Node's BlockList does the prefix matching.

import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface CommunityRule {
  community: string;
  /** CIDR networks ("127.0.0.0/8", "::1/128") or addresses; empty means any source. */
  sources: string[];
  /** the VACM view it reads through (vacm.ts); everything when absent */
  view?: string;
}

interface Compiled {
  rule: CommunityRule;
  community: Buffer;
  any: boolean;
  list: BlockList;
}

export function parseNetwork(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  // A second "/" ("10.0.0.0/8/9") is an error, not ignored.
  const [address = '', bits, ...extra] = text.split('/');
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family) throw new Error(`"${text}" is not an IP address or network`);
  const max = family === 'ipv4' ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (extra.length || !/^\d+$/.test(bits ?? String(max)) || prefix > max) throw new Error(`bad prefix length in "${text}"`);
  return { address, prefix, family };
}

export class CommunityAccess {
  private rules: Compiled[];

  constructor(rules: CommunityRule[]) {
    this.rules = rules.map((r) => {
      const list = new BlockList();
      for (const s of r.sources) {
        const n = parseNetwork(s);
        list.addSubnet(n.address, n.prefix, n.family);
      }
      return { rule: r, community: Buffer.from(r.community, 'utf8'), any: r.sources.length === 0, list };
    });
  }

  /** True when the community is known and the source address may use it. */
  allows(community: Buffer, address: string): boolean {
    return this.match(community, address) !== undefined;
  }

  /** The first rule giving this community to this source address. */
  match(community: Buffer, address: string): CommunityRule | undefined {
    for (const r of this.rules) {
      if (!r.community.equals(community)) continue;
      if (r.any) return r.rule;
      // the source address is looked at only for a community limited to networks
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
      const addr = mapped ? mapped[1]! : address;
      if (r.list.check(addr, isIPv4(addr) ? 'ipv4' : 'ipv6')) return r.rule;
    }
    return undefined;
  }
}

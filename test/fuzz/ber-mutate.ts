// Structure-aware mutations of BER messages for the fuzzer: a packet is read into a
// tree of TLVs (tolerantly: what cannot be read stays raw bytes), one part of the tree
// is changed the way an attacker (or a broken manager) would, and the tree is written
// back with lengths that agree again, unless the mutation is about lengths.

/** A TLV: constructed (children) or primitive (value); or bytes that could not be read as one. */
export type Node =
  | { kind: 'tlv'; tag: number; children?: Node[]; value?: Buffer }
  | { kind: 'raw'; bytes: Buffer };

/** A seeded source of choices. */
export interface Rng {
  (): number;
}

export const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)]!;

const CONSTRUCTED = 0x20;

/** Reads `buf` into TLV nodes; malformed parts become raw nodes, never an exception. */
export function parse(buf: Buffer, depth = 0): Node[] {
  const out: Node[] = [];
  let p = 0;
  while (p < buf.length) {
    const start = p;
    const tag = buf[p++]!;
    if (p >= buf.length) return [...out, { kind: 'raw', bytes: buf.subarray(start) }];
    let len = buf[p++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || p + n > buf.length) return [...out, { kind: 'raw', bytes: buf.subarray(start) }];
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
    }
    if (p + len > buf.length) return [...out, { kind: 'raw', bytes: buf.subarray(start) }];
    const body = buf.subarray(p, p + len);
    p += len;
    if (tag & CONSTRUCTED && depth < 32) out.push({ kind: 'tlv', tag, children: parse(body, depth + 1) });
    else out.push({ kind: 'tlv', tag, value: body });
  }
  return out;
}

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Writes nodes back, every length recomputed. */
export function write(nodes: readonly Node[]): Buffer {
  const parts: Buffer[] = [];
  for (const n of nodes) {
    if (n.kind === 'raw') {
      parts.push(n.bytes);
      continue;
    }
    const body = n.children ? write(n.children) : n.value ?? Buffer.alloc(0);
    parts.push(Buffer.from([n.tag]), lengthBytes(body.length), body);
  }
  return Buffer.concat(parts);
}

/** Every TLV node of the tree, depth first, with its parent list. */
export function all(nodes: Node[]): Array<{ node: Extract<Node, { kind: 'tlv' }>; siblings: Node[] }> {
  const out: Array<{ node: Extract<Node, { kind: 'tlv' }>; siblings: Node[] }> = [];
  const walk = (list: Node[]) => {
    for (const n of list) {
      if (n.kind !== 'tlv') continue;
      out.push({ node: n, siblings: list });
      if (n.children) walk(n.children);
    }
  };
  walk(nodes);
  return out;
}

function encodeArc(v: number): number[] {
  const bytes: number[] = [v % 128];
  for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) bytes.unshift((x % 128) | 0x80);
  return bytes;
}

/** Integer contents of `v` (two's complement, minimal, or padded to `width` octets). */
function intBytes(v: number, width?: number): Buffer {
  const b: number[] = [];
  let x = BigInt(v);
  do {
    b.unshift(Number(x & 0xffn));
    x >>= 8n;
  } while (x !== 0n && x !== -1n);
  if (v >= 0 && b[0]! & 0x80) b.unshift(0);
  if (v < 0 && !(b[0]! & 0x80)) b.unshift(0xff);
  while (width && b.length < width) b.unshift(v < 0 ? 0xff : 0);
  return Buffer.from(b);
}

const EXTREME_INTS = [0, 1, -1, 127, 128, 255, 256, 65535, 2147483647, -2147483648, 4294967295, 2 ** 40, -(2 ** 40)];

/** The mutations, each a function from a parsed packet to new bytes (or undefined when it does not apply). */
export const MUTATIONS: Record<string, (tree: Node[], rng: Rng, original: Buffer) => Buffer | undefined> = {
  bitFlip: (_t, rng, orig) => {
    const b = Buffer.from(orig);
    for (let k = 1 + int(rng, 4); k > 0; k--) b[int(rng, b.length)] ^= 1 << int(rng, 8);
    return b;
  },
  byteSet: (_t, rng, orig) => {
    const b = Buffer.from(orig);
    b[int(rng, b.length)] = pick(rng, [0x00, 0x7f, 0x80, 0x81, 0x84, 0xff, 0x30, 0xa5, 0x06]);
    return b;
  },
  truncate: (_t, rng, orig) => orig.subarray(0, int(rng, orig.length)),
  trailingBytes: (_t, rng, orig) => Buffer.concat([orig, Buffer.alloc(1 + int(rng, 16), int(rng, 256))]),
  lengthCorruption: (tree, rng) => {
    // rewrite one TLV with a wrong length field: too short, too long, indefinite, or huge
    const nodes = all(tree);
    if (!nodes.length) return undefined;
    const { node } = pick(rng, nodes);
    const body = node.children ? write(node.children) : node.value ?? Buffer.alloc(0);
    const lens = [Buffer.from([0x80]), Buffer.from([0x84, 0xff, 0xff, 0xff, 0xff]), Buffer.from([0x85, 1, 0, 0, 0, 0]), lengthBytes(body.length + 1 + int(rng, 100)), lengthBytes(Math.max(0, body.length - 1 - int(rng, 4))), Buffer.from([0x82, 0, body.length & 0xff])];
    const raw = Buffer.concat([Buffer.from([node.tag]), pick(rng, lens), body]);
    const idx = nodeIndex(tree, node);
    if (!idx) return undefined;
    idx.list[idx.at] = { kind: 'raw', bytes: raw };
    return write(tree);
  },
  nesting: (tree, rng) => {
    // a node wrapped in many constructed layers (deep nesting)
    const nodes = all(tree);
    if (!nodes.length) return undefined;
    const { node } = pick(rng, nodes);
    const idx = nodeIndex(tree, node);
    if (!idx) return undefined;
    let wrapped: Node = node;
    for (let i = 0, n = 10 + int(rng, 2000); i < n; i++) wrapped = { kind: 'tlv', tag: pick(rng, [0x30, 0xa0, 0xa5]), children: [wrapped] };
    idx.list[idx.at] = wrapped;
    return write(tree);
  },
  giantOid: (tree, rng) => {
    const oids = all(tree).filter((x) => x.node.tag === 0x06);
    if (!oids.length) return undefined;
    const { node } = pick(rng, oids);
    const arcs = 1 + int(rng, 400);
    const bytes: number[] = [0x2b];
    for (let i = 0; i < arcs; i++) bytes.push(...encodeArc(pick(rng, [0, 1, 127, 128, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35])));
    if (rng() < 0.3) bytes.push(0x80, 0x80, 0x01); // non-minimal arc
    if (rng() < 0.2) bytes.push(0x81); // ends inside an arc
    node.value = Buffer.from(bytes);
    return write(tree);
  },
  extremeInteger: (tree, rng) => {
    const ints = all(tree).filter((x) => x.node.tag === 0x02);
    if (!ints.length) return undefined;
    const { node } = pick(rng, ints);
    node.value = rng() < 0.2 ? Buffer.alloc(int(rng, 12)) : intBytes(pick(rng, EXTREME_INTS), rng() < 0.2 ? 9 : undefined);
    return write(tree);
  },
  bulkExtremes: (tree, rng) => {
    // any request PDU becomes a GetBulk with extreme non-repeaters and max-repetitions
    const pdus = all(tree).filter((x) => x.node.tag >= 0xa0 && x.node.tag <= 0xa8 && x.node.children && x.node.children.length >= 4);
    if (!pdus.length) return undefined;
    const { node } = pick(rng, pdus);
    node.tag = 0xa5;
    const [, a, b] = node.children!;
    if (a?.kind === 'tlv') a.value = intBytes(pick(rng, [-1, 0, 1, 5, 2147483647, -2147483648]));
    if (b?.kind === 'tlv') b.value = intBytes(pick(rng, [-1, 0, 1, 65535, 2147483647, -2147483648]));
    return write(tree);
  },
  pduType: (tree, rng) => {
    const pdus = all(tree).filter((x) => x.node.tag >= 0xa0 && x.node.tag <= 0xaf);
    if (!pdus.length) return undefined;
    pick(rng, pdus).node.tag = 0xa0 + int(rng, 16);
    return write(tree);
  },
  manyVarbinds: (tree, rng) => {
    // the varbind list repeated up to a full datagram
    const lists = all(tree).filter((x) => x.node.tag === 0x30 && x.node.children?.every((c) => c.kind === 'tlv' && c.tag === 0x30 && c.children?.[0]?.kind === 'tlv' && c.children[0].tag === 0x06));
    const list = lists.find((x) => x.node.children!.length > 0);
    if (!list) return undefined;
    const one = list.node.children!;
    const size = write(one).length || 1;
    const times = Math.min(1 + int(rng, 5000), Math.floor(60000 / size));
    list.node.children = Array.from({ length: times }, () => one).flat();
    return write(tree);
  },
  valueSwap: (tree, rng) => {
    // a varbind value or any primitive replaced by another type, empty, or big
    const prims = all(tree).filter((x) => !x.node.children);
    if (!prims.length) return undefined;
    const { node } = pick(rng, prims);
    node.tag = pick(rng, [0x02, 0x04, 0x05, 0x06, 0x40, 0x41, 0x44, 0x46, 0x80, 0x82, 0x1f, 0x3f]);
    node.value = pick(rng, [Buffer.alloc(0), Buffer.alloc(1 + int(rng, 8), 0xff), Buffer.alloc(int(rng, 3000), 0x41)]);
    return write(tree);
  },
  dropOrDuplicate: (tree, rng) => {
    const nodes = all(tree);
    if (!nodes.length) return undefined;
    const { node, siblings } = pick(rng, nodes);
    const at = siblings.indexOf(node);
    if (rng() < 0.5) siblings.splice(at, 1);
    else siblings.splice(at, 0, structuredCopy(node));
    return write(tree);
  },
};

function structuredCopy(n: Node): Node {
  if (n.kind === 'raw') return { kind: 'raw', bytes: Buffer.from(n.bytes) };
  return { kind: 'tlv', tag: n.tag, value: n.value && Buffer.from(n.value), children: n.children?.map(structuredCopy) };
}

function nodeIndex(tree: Node[], target: Node): { list: Node[]; at: number } | undefined {
  for (let i = 0; i < tree.length; i++) {
    const n = tree[i]!;
    if (n === target) return { list: tree, at: i };
    if (n.kind === 'tlv' && n.children) {
      const r = nodeIndex(n.children, target);
      if (r) return r;
    }
  }
  return undefined;
}

/** One mutant of `packet`: one to three mutations in a row; returns the mutant and their names. */
export function mutate(packet: Buffer, rng: Rng): { bytes: Buffer; how: string[] } {
  let bytes = packet;
  const how: string[] = [];
  const names = Object.keys(MUTATIONS);
  for (let k = 1 + (rng() < 0.3 ? int(rng, 3) : 0); k > 0; k--) {
    const name = pick(rng, names);
    const out = MUTATIONS[name]!(parse(bytes), rng, bytes);
    if (!out || out.length === 0) continue;
    bytes = out.length > 65507 ? out.subarray(0, 65507) : out;
    how.push(name);
  }
  return { bytes, how };
}

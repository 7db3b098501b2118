// Logging under attack: a flood of refused datagrams is one log line per cause per
// minute with a count, not a line each; a bug met while answering (here a table whose
// rows cannot be listed) is reported through onInternalError, the datagram dropped and
// counted, and the agent goes on answering everything else.

import { expect } from 'chai';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startAgent } from '../../src/agent.js';
import { defaults } from '../../src/config/config.js';
import { Tag, encodeInteger } from '../../src/snmp/ber.js';
import { CommunityAccess } from '../../src/snmp/access.js';
import { OidIndex } from '../../src/snmp/oid-index.js';
import { SnmpStats, UdpAgent } from '../../src/snmp/udp-agent.js';
import { decodeResponse, request } from './support.js';

async function exchange(port: number, packets: Buffer[], expectAnswers: number): Promise<Buffer[]> {
  const s = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  for (const p of packets) s.send(p, port, '127.0.0.1');
  const deadline = Date.now() + 10000;
  while (got.length < expectAnswers && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  // a moment for answers that should not come
  await new Promise((r) => setTimeout(r, 100));
  s.close();
  return got;
}

describe('e2e: logging under attack', function () {
  this.timeout(30000);

  it('500 datagrams with a wrong community: one "request dropped" line at once, one with the count at stop', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-logging-'));
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const agent = await startAgent({ ...defaults(), listen: ['udp:127.0.0.1:0'], stateDir: dir }, log);
    try {
      const port = agent.endpoints[0]!.port;
      // in batches the receive buffer holds whatever the system's default (the agent runs in this process)
      for (let b = 0; b < 10; b++) {
        const bad = Array.from({ length: 50 }, (_, i) => request({ version: 1, community: 'guess', requestId: b * 50 + i, oids: ['.1.3.6.1.2.1.1.5.0'] }));
        expect(await exchange(port, bad, 0)).to.deep.equal([]);
      }
      const got = await exchange(port, [request({ version: 1, requestId: 9999, oids: ['.1.3.6.1.2.1.1.5.0'] })], 1);
      expect(got.map((m) => decodeResponse(m).requestId)).to.deep.equal([9999]);
      expect(agent.stats.inBadCommunityNames).to.equal(500);
    } finally {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const dropped = lines.filter((l) => l.msg === 'request dropped');
    expect(dropped.map((l) => [l.reason, l.count])).to.deep.equal([
      ['unknown community or source not allowed', 1],
      ['unknown community or source not allowed', 499],
    ]);
    expect(dropped[0]!.from).to.match(/^127\.0\.0\.1:\d+$/);
  });

  it('a bug met while answering reaches onInternalError; the datagram is dropped and counted; others are answered', async () => {
    const index = new OidIndex();
    const broken = [1, 3, 6, 1, 4, 1, 99, 1];
    index.add({ kind: 'scalar', oid: [1, 3, 6, 1, 4, 1, 99, 0], name: 'fine', counter64: false, read: () => encodeInteger(7) });
    index.add({
      kind: 'column',
      oid: broken,
      name: 'broken',
      counter64: false,
      rows: {
        current: () => {
          throw new TypeError('rows cannot be listed');
        },
      },
      read: () => encodeInteger(0),
    });
    const stats = new SnmpStats();
    const errors: string[] = [];
    const udp = new UdpAgent({
      listen: ['udp:127.0.0.1:0'],
      access: new CommunityAccess([{ community: 'public', sources: [] }]),
      index,
      stats,
      maxMessageSize: 65507,
      onInternalError: (err, from) => errors.push(`${err.message} from ${from.split(':')[0]}`),
    });
    const [ep] = await udp.start();
    try {
      const got = await exchange(ep!.port, [request({ version: 1, requestId: 1, oids: ['.1.3.6.1.4.1.99.1.1.5'] }), request({ version: 1, requestId: 2, oids: ['.1.3.6.1.4.1.99.0.0'] })], 1);
      const answers = got.map((m) => decodeResponse(m));
      expect(answers.map((a) => [a.requestId, a.varbinds[0]!.tag])).to.deep.equal([[2, Tag.Integer]]);
      expect(errors).to.deep.equal(['rows cannot be listed from 127.0.0.1']);
      expect([stats.inPkts, stats.droppedRequests]).to.deep.equal([2, 1]);
    } finally {
      await udp.stop();
    }
  });
});

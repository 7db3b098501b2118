// Fuzzing the agent over UDP: seeds from real Net-SNMP tools (corpus.ts) mutated
// structure-aware (ber-mutate.ts), v1/v2c datagrams as they are and SNMPv3 ones as
// keyed messages around a mutated scopedPDU (so that the fuzz gets past USM to the PDU
// decoder and the engine), sent one at a time to an agent in this process. After each,
// the agent's own counters say whether it dropped the datagram; otherwise an answer
// must come. The oracle: no exception reaches the handler's last resort (logged as an
// internal error), no answer to a v1/v2c datagram without the community, no answer but a
// Report to an SNMPv3 one that does not authenticate, the agent still answers a plain
// GET, and its heap does not grow.

import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { startAgent, type RunningAgent } from '../../src/agent.js';
import { defaults, settingsFrom } from '../../src/config/config.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { decodeV3, openScopedPdu } from '../../src/snmp/usm/message3.js';
import { prng } from '../helpers/prng.js';
import { mutate, parse, pick, type Rng } from './ber-mutate.js';
import { FUZZ_SECURITY_YAML, authentic, keyedV3, loadCorpus, scopedPduOf, type Engine, type Seed } from './corpus.js';

export interface FuzzReport {
  target: string;
  cases: number;
  answered: number;
  /** what went wrong, with the case number, the mutations and the datagram in hex */
  violations: string[];
  /** heap used after a full GC, at the end minus at the start, MiB */
  heapGrowthMiB: number;
  /** counts by kind of case (e.g. keyed SNMPv3 cases, and those answered) */
  detail?: Record<string, number>;
}

/** A full garbage collection (the flag can be set at run time; the function comes from a fresh context). */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export function heapMiB(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed / 1048576;
}

function fuzzModel(): MailSystem {
  const model = new MailSystem();
  const app = model.addApplication('postfix', { version: '3.7.11' });
  for (let i = 0; i < 20; i++) {
    const ch = model.addChannel(app, `channel-${i}`, { receivedMessages: i * 7 });
    model.countError(ch, '5.7.1', 'inbound', i);
  }
  for (let i = 0; i < 5; i++) model.openAssociation(app, { remoteApplication: `192.0.2.${i}`, type: 'peerresponder', startedAt: Date.now() });
  return model;
}

/** Is this v1/v2c datagram's community "public"? Read independently of the agent's decoder. */
function hasCommunity(packet: Buffer): boolean {
  const [msg] = parse(packet);
  if (msg?.kind !== 'tlv' || msg.tag !== 0x30 || !msg.children) return false;
  const [version, community] = msg.children;
  return version?.kind === 'tlv' && version.tag === 0x02 && community?.kind === 'tlv' && community.tag === 0x04 && community.value?.toString('latin1') === 'public';
}

/** The PDU type of an SNMPv3 answer: 0xa8 for a Report, 0 when encrypted (a real response). */
function v3AnswerType(answer: Buffer): number {
  const m = decodeV3(answer);
  if (m.data.tag !== 0x30) return 0;
  const { pdu } = openScopedPdu(m.data.raw);
  return pdu.buf[pdu.pos]!;
}

export async function fuzzSnmp(opts: { count: number; seed: number; progress?: (line: string) => void }): Promise<FuzzReport> {
  const rng: Rng = prng(opts.seed);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-fuzz-'));
  const file = path.join(dir, 'madman.yaml');
  writeFileSync(file, `${FUZZ_SECURITY_YAML}\nmaxGetbulkResponses: -1\n`);
  const s = settingsFrom({ config: file });
  const internal: string[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void internal.push(line) });
  const report: FuzzReport = { target: 'snmp', cases: 0, answered: 0, violations: [], heapGrowthMiB: 0, detail: {} };
  const count = (k: string) => (report.detail![k] = (report.detail![k] ?? 0) + 1);
  let agent: RunningAgent | undefined;
  const sock = dgram.createSocket('udp4');
  const inbox: Buffer[] = [];
  sock.on('message', (m) => inbox.push(m));
  try {
    agent = await startAgent(
      { ...defaults(), listen: ['udp:127.0.0.1:0'], stateDir: path.join(dir, 'state'), communities: s.communities, security: s.security, limits: s.limits },
      log,
      { model: fuzzModel() },
    );
    const a = agent;
    const port = a.endpoints[0]!.port;
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));

    /** Sends one datagram; the answer, or undefined when the agent counted it dropped. */
    const exchange = async (bytes: Buffer): Promise<{ answer?: Buffer; lost?: boolean }> => {
      inbox.length = 0;
      const pkts = a.stats.inPkts;
      const dropped = a.stats.droppedRequests;
      sock.send(bytes, port, '127.0.0.1');
      const deadline = Date.now() + 5000;
      while (a.stats.inPkts === pkts && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      if (a.stats.inPkts === pkts) return { lost: true };
      if (a.stats.droppedRequests !== dropped) {
        await new Promise((r) => setImmediate(r));
        return { answer: inbox[0] };
      }
      while (inbox.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      return { answer: inbox[0] };
    };

    // the engine, from a discovery Report, to key SNMPv3 messages for
    const seeds = loadCorpus();
    const discovery = seeds.find((x) => {
      try {
        return decodeV3(x.bytes).usm.engineId.length === 0;
      } catch {
        return false;
      }
    })!;
    const rep = decodeV3((await exchange(discovery.bytes)).answer!);
    const engineAt = Date.now();
    const base = { id: rep.usm.engineId, boots: rep.usm.boots, time: rep.usm.time };
    const engine = (): Engine => ({ ...base, time: base.time + Math.floor((Date.now() - engineAt) / 1000) });
    const scoped = seeds.map((x) => scopedPduOf(x.bytes)).filter((x): x is Buffer => x !== undefined);
    const plain: Seed[] = seeds;
    const liveness = seeds.find((x) => x.label.startsWith('snmpget -v2c -c public'))!.bytes;

    const heap0 = heapMiB();
    for (let i = 0; i < opts.count; i++) {
      let bytes: Buffer;
      let how: string[];
      if (scoped.length && rng() < 0.35) {
        // keyed SNMPv3: authentic, decryptable, around a fuzzed scopedPDU
        const m = mutate(pick(rng, scoped), rng);
        // the keyed message must still fit in a datagram: the scopedPDU is cut to leave room
        const room = 65507 - keyedV3(Buffer.alloc(0), engine(), 0).length - 64;
        bytes = keyedV3(m.bytes.subarray(0, room), engine(), 1000 + i, rng() < 0.7);
        how = ['keyed-v3', ...m.how];
      } else {
        ({ bytes, how } = mutate(pick(rng, plain).bytes, rng));
      }
      const got = await exchange(bytes);
      report.cases++;
      const where = () => `case ${i} (${how.join('+')}): ${bytes.subarray(0, 200).toString('hex')}`;
      if (got.lost) report.violations.push(`not received or not counted: ${where()}`);
      if (internal.length) {
        report.violations.push(`internal error: ${internal.splice(0).join(' | ').slice(0, 500)} after ${where()}`);
      }
      count(how[0] === 'keyed-v3' ? 'keyed SNMPv3 cases' : 'v1/v2c/v3 datagram cases');
      if (!got.answer) continue;
      report.answered++;
      count(how[0] === 'keyed-v3' ? 'keyed SNMPv3 answered' : 'v1/v2c/v3 datagrams answered');
      if (bytes.length > 4 && parse(bytes)[0]?.kind === 'tlv') {
        const v3 = (() => {
          try {
            return decodeV3(bytes) !== undefined;
          } catch {
            return false;
          }
        })();
        if (v3) {
          let type = -1;
          try {
            type = v3AnswerType(got.answer);
          } catch {
            report.violations.push(`unreadable answer to SNMPv3: ${where()}`);
          }
          if (type !== 0xa8 && !authentic(bytes, engine())) report.violations.push(`answered an SNMPv3 message that does not authenticate: ${where()}`);
        } else if (!hasCommunity(bytes)) {
          report.violations.push(`answered a datagram without the community: ${where()}`);
        }
      }
      if (i % 250 === 249) {
        const live = await exchange(liveness);
        if (!live.answer) report.violations.push(`no answer to a plain GET after ${where()}`);
        opts.progress?.(`snmp: ${i + 1} cases, ${report.answered} answered, ${report.violations.length} violations`);
      }
    }
    const live = await exchange(liveness);
    if (!live.answer) report.violations.push('no answer to a plain GET at the end');
    report.heapGrowthMiB = heapMiB() - heap0;
  } finally {
    sock.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

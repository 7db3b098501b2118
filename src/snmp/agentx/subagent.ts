// madman as an AgentX subagent: which subtrees it registers, the session that serves
// them, and the notification sink that sends Notify PDUs through the master (whose
// trapsink/trap2sink/informsink/trapsess settings then deliver them).

import type { Logger } from '../../log.js';
import type { BulkCaps } from '../bulk.js';
import type { MibTree } from '../../mib/loader.js';
import { encodeValue } from '../values.js';
import type { OidIndex } from '../oid-index.js';
import type { Notification, NotificationSink } from '../notifications.js';
import { notifyPdu, type NotifyHead, type ResponseBody } from './messages.js';
import { AgentxError } from './pdu.js';
import { Responder } from './responder.js';
import { AgentxSession, parseMasterAddress, type SessionOptions, type Subtree } from './session.js';

/**
 * The modules madman registers with the master. SNMPv2-MIB (system, snmp, sysORTable)
 * and SNMP-FRAMEWORK-MIB are left to the master: it serves its own, and registering
 * ours would shadow them or be refused as duplicates.
 */
export const REGISTERED_MODULES = ['NETWORK-SERVICES-MIB', 'MTA-MIB', 'MADMAN-MIB'] as const;

export function registeredSubtrees(tree: MibTree): Subtree[] {
  return REGISTERED_MODULES.map((m) => {
    const o = tree.moduleIdentity(m);
    return { name: o.name, oid: o.oid };
  });
}

export interface SubagentOptions {
  /** unix:PATH or tcp:HOST:PORT */
  address: string;
  tree: MibTree;
  index: OidIndex;
  /** sysUpTime (centiseconds) of the agent, for Response headers */
  uptime: () => number;
  beginRequest?: () => void;
  onEncodeError?: () => void;
  /** GetBulk caps, as for UDP */
  caps?: BulkCaps;
  description: string;
  log: Logger;
  /** only the subtrees to register (tests); default: registeredSubtrees(tree) */
  subtrees?: Subtree[];
  timing?: Pick<SessionOptions, 'requestTimeoutMs' | 'pingIntervalMs' | 'backoffMs'>;
}

export interface Subagent {
  session: AgentxSession;
  sink: AgentxNotificationSink;
  stop(): Promise<void>;
}

export function startSubagent(o: SubagentOptions): Subagent {
  const subtrees = o.subtrees ?? registeredSubtrees(o.tree);
  const log = o.log.child({ agentx: o.address });
  const responder = new Responder({
    index: o.index,
    subtrees: subtrees.map((s) => s.oid),
    uptime: o.uptime,
    beginRequest: o.beginRequest,
    caps: o.caps,
    onEncodeError: (name, err) => {
      o.onEncodeError?.();
      log.warn({ object: name, err: err.message }, 'value cannot be encoded; answered genErr');
    },
  });
  const session = new AgentxSession({
    address: parseMasterAddress(o.address),
    responder,
    subtrees,
    id: o.tree.moduleIdentity('MADMAN-MIB').oid,
    description: o.description,
    uptime: o.uptime,
    log,
    ...o.timing,
  });
  const head: NotifyHead = {
    sysUpTime0: [...o.tree.object('sysUpTime').oid, 0],
    snmpTrapOid0: [...o.tree.object('snmpTrapOID').oid, 0],
  };
  const sink = new AgentxNotificationSink(session, head, log);
  // Notifications need an open session only: a subtree the master keeps refusing must not hold them.
  session.on('open', () => sink.flush());
  session.start();
  return {
    session,
    sink,
    async stop() {
      await sink.close();
      await session.stop();
    },
  };
}

/** Most notifications kept while the master is away; older ones are dropped (and counted). */
const QUEUE_LIMIT = 100;

export class AgentxNotificationSink implements NotificationSink {
  readonly name = 'agentx';
  sent = 0;
  dropped = 0;
  private queue: Notification[] = [];

  constructor(
    private readonly session: AgentxSession,
    private readonly head: NotifyHead,
    private readonly log: Logger,
  ) {}

  send(n: Notification): void {
    if (!this.session.isOpen) {
      this.queue.push(n);
      if (this.queue.length > QUEUE_LIMIT) {
        const lost = this.queue.shift()!;
        this.dropped++;
        this.log.warn({ notification: lost.name }, 'AgentX master away too long; oldest queued notification dropped');
      }
      return;
    }
    let sent: Promise<ResponseBody>;
    try {
      const varbinds = n.varbinds.map((vb) => ({ oid: vb.oid, ber: encodeValue(vb.syntax, vb.value) }));
      sent = this.session.request((ids) => notifyPdu(ids, this.head, n.uptime, n.oid, varbinds));
    } catch (err) {
      this.dropped++;
      this.log.warn({ notification: n.name, err: (err as Error).message }, 'notification has a value that cannot be encoded; not sent');
      return;
    }
    sent
      .then((r) => {
        if (r.error === AgentxError.noError) this.sent++;
        else {
          this.dropped++;
          this.log.warn({ notification: n.name, error: r.error }, 'the AgentX master refused a notification');
        }
      })
      .catch((err: Error) => {
        // The session broke while it was in flight: send it again once it is back.
        this.log.info({ notification: n.name, err: err.message }, 'notification not confirmed; queued again');
        this.send(n);
      });
  }

  /** Sends what was queued while the master was away. */
  flush(): void {
    const q = this.queue;
    this.queue = [];
    for (const n of q) this.send(n);
  }

  async close(): Promise<void> {
    if (this.queue.length) this.log.warn({ queued: this.queue.length }, 'AgentX sink closed with notifications unsent');
    this.queue = [];
  }
}

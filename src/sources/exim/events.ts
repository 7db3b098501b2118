// What one Exim log entry says, as data: the union parse.ts produces and apply.ts consumes.
// Only what the MIB mapping needs is kept; every value is a plain string or number.

/** A peer as Exim logs it in H=: `name (helo) [addr]:port`, any of name/helo/port absent. */
export interface Host {
  /** verified host name ('' when none) */
  name: string;
  /** the HELO/EHLO name in parentheses ('' when none) */
  helo: string;
  addr: string;
  port?: number;
  /** `]*` on a delivery: the message went down a connection already open */
  reused?: boolean;
}

/** A local interface, I=[addr]:port. */
export interface Interface {
  addr: string;
  port?: number;
}

/** `<=` a message arrived. */
export interface ArrivalEvent {
  kind: 'arrival';
  id: string;
  /** envelope sender, '' for `<>` */
  sender: string;
  /** R=ID: a bounce Exim made for that message */
  bounceOf?: string;
  host?: Host;
  iface?: Interface;
  /** U=: the local user (local submissions) or RFC 1413 identity */
  user?: string;
  /** P=: smtp, esmtp, esmtps, esmtpa, esmtpsa, local, local-smtp, ... */
  protocol: string;
  /** A=authenticator:id */
  auth?: string;
  /** S= octets */
  size: number;
  /** the `for` list (log_selector +received_recipients); undefined when not logged */
  recipients?: string[];
}

/** `=>` `->` `>>` `*>` a delivery to one address. */
export interface DeliveryEvent {
  kind: 'delivery';
  id: string;
  /** => first address of a delivery, -> more in the same one, >> cutthrough, *> suppressed by -N */
  flag: '=>' | '->' | '>>' | '*>';
  /** the address as delivered (a file, a pipe, a rewritten address) */
  address: string;
  /** the address as received when it differs (`<...>` after the address) */
  original?: string;
  router?: string;
  transport?: string;
  host?: Host;
  /** S= (log_selector +delivery_size) */
  size?: number;
}

/** `**` a permanent failure, `==` a deferral, of one address. */
export interface FailureEvent {
  kind: 'failure';
  id: string;
  deferred: boolean;
  address: string;
  original?: string;
  router?: string;
  transport?: string;
  host?: Host;
  /** `defer (N)`: Exim's errno (negative for its own errors) */
  errno?: number;
  /** 'routing defer (N)': the router, not a transport, deferred it */
  routing?: boolean;
  /** the error text after `: ` */
  reason: string;
}

/** `Completed`: the message left the queue. */
export interface CompletedEvent {
  kind: 'completed';
  id: string;
}

/** The message is frozen: `Frozen`, `Frozen (delivery error message)`, `frozen by root`, `... (frozen)`. */
export interface FrozenEvent {
  kind: 'frozen';
  id: string;
  /** a queue run met it frozen (`Message is frozen`): no change, a reminder */
  still?: boolean;
}

/** `Unfrozen by forced delivery`, `unfrozen by root`. */
export interface ThawedEvent {
  kind: 'thawed';
  id: string;
}

/** `removed by root` (exim -Mrm); the `Completed` line follows. */
export interface RemovedEvent {
  kind: 'removed';
  id: string;
  by: string;
}

/** Other lines about one message: connection failures before a deferral, skips, warnings. */
export interface MessageNoteEvent {
  kind: 'message-note';
  id: string;
  text: string;
}

/** `SMTP connection from [addr]:port I=... (TCP/IP connection count = N)` (+smtp_connection). */
export interface ConnectEvent {
  kind: 'connect';
  host: Host;
  iface?: Interface;
}

/** How an SMTP connection ended. */
export type CloseHow = 'quit' | 'drop' | 'lost' | 'timeout' | 'dropped';

/**
 * The end of an SMTP connection: `closed by QUIT`, `closed by DROP in ACL`, `lost ...`,
 * `SMTP command timeout on connection from`, `SMTP data timeout (message abandoned) ...`,
 * `unexpected disconnection while reading SMTP command from`, `SMTP call from ... dropped: ...`.
 */
export interface DisconnectEvent {
  kind: 'disconnect';
  host: Host;
  iface?: Interface;
  how: CloseHow;
  /** the message abandoned when the connection ended during DATA */
  id?: string;
}

/** Where a refusal happened. */
export type RejectStage = 'connect' | 'helo' | 'mail' | 'rcpt' | 'data' | 'auth' | 'other';

/**
 * A refusal: `rejected RCPT <a>: why`, `temporarily rejected ...`, `rejected after DATA`,
 * `rejected EHLO from ...`, `rejected connection ...`, `NAME authenticator failed for ...`,
 * `Connection from [addr] refused: ...`.
 */
export interface RejectEvent {
  kind: 'reject';
  stage: RejectStage;
  temporary: boolean;
  host?: Host;
  iface?: Interface;
  sender?: string;
  recipient?: string;
  /** the message id (rejections after DATA have one) */
  id?: string;
  /** the text after the last `: ` of the command part, e.g. "no such user here" */
  reason: string;
  /** the SMTP reply code when the line has one (authenticator failures: 535) */
  code?: number;
}

/** `exim 4.96 daemon started: pid=N, -q30m, listening for SMTP on ...`. */
export interface DaemonEvent {
  kind: 'daemon';
  version: string;
  pid: number;
  /** the -q interval in seconds, when the daemon runs the queue */
  queueInterval?: number;
}

/** `Start queue run: pid=N [-qff]` / `End queue run: pid=N`. */
export interface QueueRunEvent {
  kind: 'queue-run';
  start: boolean;
  pid: number;
  args: string;
}

/** Lines understood and without effect on any count (cwd=... args, warnings, SMTP syntax errors...). */
export interface InfoEvent {
  kind: 'info';
  what: string;
}

/** A line that is not Exim's or not understood. */
export interface UnparsedEvent {
  kind: 'unparsed';
  text: string;
}

export type EximEvent =
  | ArrivalEvent
  | DeliveryEvent
  | FailureEvent
  | CompletedEvent
  | FrozenEvent
  | ThawedEvent
  | RemovedEvent
  | MessageNoteEvent
  | ConnectEvent
  | DisconnectEvent
  | RejectEvent
  | DaemonEvent
  | QueueRunEvent
  | InfoEvent
  | UnparsedEvent;

/** One log entry: its time (epoch ms), the pid when logged (+pid), and what it says. */
export interface EximEntry {
  time: number;
  pid?: number;
  event: EximEvent;
}

// What one Postfix log line says, as data: the discriminated union parse.ts produces
// and apply.ts consumes. Only the facts the MIB mapping (or a reader of the events)
// needs are kept; everything is plain strings and numbers.

/** A peer as Postfix logs it: `host[addr]`, `host[addr]:port` or postscreen's `[addr]:port`. */
export interface Client {
  /** host name as logged ("unknown" when it has none); "" for postscreen's `[addr]:port` */
  name: string;
  addr: string;
  port?: number;
}

/** Per-command counts from smtpd's `disconnect` line (`rcpt=0/1` is ok=0, total=1). */
export type CommandStats = Record<string, { ok: number; total: number }>;

/** Delivery outcomes of a `to=<...>` line. deliverable/undeliverable are address-verification probes. */
export type DeliveryStatus = 'sent' | 'deferred' | 'bounced' | 'expired' | 'deliverable' | 'undeliverable';

/** smtpd / qmqpd: `connect from host[addr]`. */
export interface ConnectEvent {
  kind: 'connect';
  client: Client;
}

/** smtpd: `disconnect from host[addr] ehlo=1 mail=1 ... commands=5`. */
export interface DisconnectEvent {
  kind: 'disconnect';
  client: Client;
  /** the command counts as logged, "ehlo=1 mail=1 rcpt=0/1 ... commands=3/4"; commandStats() reads them */
  commands: string;
}

/** smtpd: `[QID: |NOQUEUE: ]lost connection after DATA (0 bytes) from host[addr]`, or `timeout after ...`. */
export interface LostEvent {
  kind: 'lost';
  qid?: string;
  how: 'lost connection' | 'timeout';
  /** the SMTP state: CONNECT, EHLO, DATA, END-OF-MESSAGE, ... */
  after: string;
  client: Client;
}

/** smtpd / qmqpd: `QID: client=host[addr]` (a queue file was opened for this client). */
export interface ClientEvent {
  kind: 'client';
  qid: string;
  client: Client;
}

/** pickup: `QID: uid=0 from=<sender>` (local submission), `... orig_id=OLDQID` (requeued by `postsuper -r`). */
export interface PickupEvent {
  kind: 'pickup';
  qid: string;
  uid: number;
  from: string;
  /** the queue id the message had before `postsuper -r` */
  origId?: string;
}

/** cleanup: `QID: message-id=<...>`. */
export interface MessageIdEvent {
  kind: 'message-id';
  qid: string;
  messageId: string;
}

/** qmgr: `QID: from=<sender>, size=N, nrcpt=N (queue active)`. */
export interface QueuedEvent {
  kind: 'queued';
  qid: string;
  from: string;
  size: number;
  nrcpt: number;
}

/** qmgr / postsuper: `QID: removed`. */
export interface RemovedEvent {
  kind: 'removed';
  qid: string;
}

/** qmgr: `QID: from=<sender>, status=expired, returned to sender` (also `status=force-expired`). */
export interface ExpiredEvent {
  kind: 'expired';
  qid: string;
  from: string;
}

/** A delivery agent's (or qmgr's) per-recipient status line; fields in any order. */
export interface DeliveryEvent {
  kind: 'delivery';
  qid: string;
  to: string;
  origTo?: string;
  /** `host[addr]:port`, `local`, `none`, a pipe service name, ... */
  relay: string;
  /** seconds */
  delay?: number;
  dsn: string;
  status: DeliveryStatus;
  /** the text in parentheses (or after the comma for `status=expired, returned to sender`) */
  detail: string;
  /** conn_use=N: the N-th delivery over a cached connection */
  connUse?: number;
}

/**
 * A refusal: smtpd/postscreen `NOQUEUE: reject: RCPT from host[addr]: 550 5.1.1 ...; from=<> to=<> ...`,
 * `QID: reject: ...`, cleanup `QID: reject: header ...: 5.7.1 ...`, `milter-reject`, `proxy-reject`.
 */
export interface RejectEvent {
  kind: 'reject';
  qid?: string;
  /** reject, milter-reject or proxy-reject */
  action: string;
  /** CONNECT, HELO, EHLO, MAIL, RCPT, DATA, END-OF-MESSAGE, header, body, ... */
  stage: string;
  client?: Client;
  /** the reply as logged: "550 5.1.1 <x@y>: Recipient address rejected: ..." */
  reply: string;
  smtpCode?: number;
  /** enhanced status code (RFC 3463) when the reply has one */
  dsn?: string;
  from?: string;
  to?: string;
  proto?: string;
  helo?: string;
}

/**
 * An access-table / header-check action that is not a refusal: reject_warning, warn, hold, discard, filter, redirect, ...
 * (postsuper's `placed on hold` / `released from hold` are 'hold' / 'release').
 */
export interface ActionEvent {
  kind: 'action';
  qid?: string;
  action: string;
  /** the rest of the line */
  text: string;
}

/** postscreen: `CONNECT from [addr]:port to [addr]:port`. */
export interface ScreenConnectEvent {
  kind: 'screen-connect';
  client: Client;
  server?: Client;
}

/** postscreen: the session ends here (DISCONNECT), or is handed to smtpd (PASS NEW/OLD, WHITELISTED/ALLOWLISTED). */
export interface ScreenEndEvent {
  kind: 'screen-end';
  client: Client;
  /** DISCONNECT, PASS NEW, PASS OLD, WHITELISTED, ALLOWLISTED */
  verdict: string;
}

/** postscreen: any other per-client finding (DNSBL rank, PREGREET, HANGUP, COMMAND PIPELINING, ...). */
export interface ScreenNoteEvent {
  kind: 'screen-note';
  client: Client;
  /** DNSBL, PREGREET, HANGUP, BARE NEWLINE, ... */
  what: string;
  /** DNSBL rank */
  rank?: number;
}

/** bounce: `QID: sender non-delivery notification: NEWQID` (also delay / delivery status notifications). */
export interface NotificationEvent {
  kind: 'notification';
  qid: string;
  /** "sender non-delivery notification", "postmaster delay notification", ... */
  what: string;
  newQid: string;
}

/** master: `daemon started -- version 3.7.11, configuration /etc/postfix` (reload: `reload -- version ...`). */
export interface MasterStartEvent {
  kind: 'master-start';
  version: string;
  config?: string;
  reload: boolean;
}

/** master: `terminating on signal 15`. */
export interface MasterStopEvent {
  kind: 'master-stop';
  signal?: number;
}

/** `warning:` / `error:` / `fatal:` / `panic:` lines of any Postfix program. */
export interface SeverityEvent {
  kind: 'log';
  severity: 'warning' | 'error' | 'fatal' | 'panic';
  text: string;
}

/** Understood, but nothing to count (TLS notes, anvil statistics, smtp `connect to ...` notes, ...). */
export interface InfoEvent {
  kind: 'info';
  text: string;
}

/** A Postfix line this parser does not understand (counted per program, never fatal). */
export interface UnparsedEvent {
  kind: 'unparsed';
  text: string;
}

export type PostfixEvent =
  | ConnectEvent
  | DisconnectEvent
  | LostEvent
  | ClientEvent
  | PickupEvent
  | MessageIdEvent
  | QueuedEvent
  | RemovedEvent
  | ExpiredEvent
  | DeliveryEvent
  | RejectEvent
  | ActionEvent
  | ScreenConnectEvent
  | ScreenEndEvent
  | ScreenNoteEvent
  | NotificationEvent
  | MasterStartEvent
  | MasterStopEvent
  | SeverityEvent
  | InfoEvent
  | UnparsedEvent;

export type EventKind = PostfixEvent['kind'];

/** One Postfix log line: who logged it, when, and what it says. */
export interface ParsedLine {
  /** epoch milliseconds */
  time: number;
  /** the syslog host field; undefined for journal entries given without one */
  host?: string;
  /** the program as logged: `postfix/submission/smtpd` */
  program: string;
  /** the instance's syslog_name: `postfix`, `postfix-out` */
  syslogName: string;
  /** master.cf service part between syslog_name and daemon: `submission`, `relay`; undefined when none */
  service?: string;
  /** the daemon: `smtpd`, `qmgr`, `smtp`, ... */
  daemon: string;
  /** 0 when the line has none */
  pid: number;
  event: PostfixEvent;
}

// Model snapshots for checkpoints: every counter, gauge, time and text of each
// application and channel, and the error counts, as plain JSON. Associations are
// not kept (connections do not survive a restart of the agent; a source that knows
// sessions still open re-creates them). Rows are matched by name on restore, and
// keep the index they had.

import type { Application, Channel, ErrorCounts, MailSystem, Protocol } from './mail-system.js';

type Plain = Record<string, number | string | null>;

export interface ChannelSnapshot {
  name: string;
  index: number;
  fields: Plain;
  errors: Array<[string, ErrorCounts]>;
  /** mtaGroupMailProtocol (not a plain field: an object) */
  protocol?: Protocol;
}

export interface ApplicationSnapshot {
  name: string;
  index: number;
  fields: Plain;
  mta?: { counters: Plain; channels: ChannelSnapshot[] };
}

export interface ModelSnapshot {
  applications: ApplicationSnapshot[];
}

const SKIP = new Set(['index', 'name', 'associations', 'mta', 'errors']);

function plain(o: object): Plain {
  const out: Plain = {};
  for (const [k, v] of Object.entries(o)) {
    if (SKIP.has(k)) continue;
    if (typeof v === 'number' || typeof v === 'string') out[k] = v;
    else if (v === undefined) out[k] = null;
  }
  return out;
}

function assign(target: object, fields: Plain): void {
  const t = target as Record<string, unknown>;
  for (const [k, v] of Object.entries(fields)) {
    if (SKIP.has(k)) continue;
    // Only fields the model still has, of the same kind (a renamed field is dropped, not injected).
    const cur = t[k];
    if (v === null) {
      if (cur === undefined || typeof cur === 'number' || typeof cur === 'string') t[k] = undefined;
    } else if (cur === undefined || typeof cur === typeof v) t[k] = v;
  }
}

/** Applications whose names `keep` accepts (a source snapshots only its own). */
export function snapshotModel(model: MailSystem, keep: (app: Application) => boolean = () => true): ModelSnapshot {
  const applications: ApplicationSnapshot[] = [];
  for (const app of model.applications.values()) {
    if (!keep(app)) continue;
    const s: ApplicationSnapshot = { name: app.name, index: app.index, fields: plain(app) };
    if (app.mta) {
      s.mta = {
        counters: plain(app.mta.counters),
        channels: [...app.mta.channels.values()].map((ch: Channel) => ({
          name: ch.name,
          index: ch.index,
          fields: plain(ch),
          errors: [...ch.errors.entries()].map(([code, c]) => [code, { ...c }] as [string, ErrorCounts]),
          ...(ch.protocol ? { protocol: { ...ch.protocol } } : {}),
        })),
      };
    }
    applications.push(s);
  }
  return { applications };
}

export function restoreModel(model: MailSystem, snap: ModelSnapshot): void {
  for (const a of snap.applications) {
    const app = model.addApplication(a.name, {}, a.index);
    assign(app, a.fields);
    if (!a.mta) continue;
    const mta = model.mtaOf(app);
    assign(mta.counters, a.mta.counters);
    for (const c of a.mta.channels) {
      const ch = model.addChannel(app, c.name, {}, c.index);
      assign(ch, c.fields);
      ch.errors = model.errorTable();
      for (const [code, counts] of c.errors) ch.errors.set(code, { ...counts });
      if (c.protocol) ch.protocol = { ...c.protocol };
    }
  }
  model.changed();
}

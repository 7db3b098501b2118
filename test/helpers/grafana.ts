// The Grafana dashboard's queries (contrib/grafana/madman.json), for the tests that check them.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './harness.js';

export const DASHBOARD = path.join(ROOT, 'contrib/grafana/madman.json');

interface Target {
  expr: string;
  legendFormat?: string;
}

/** A panel of the dashboard (the fields the tests read). */
export interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Target[];
}

/** The dashboard's queries: panel targets, and template variables' label_values() as "count by (LABEL) (EXPR)". */
export function dashboardQueries(): Array<{ where: string; expr: string; legend?: string }> {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Panel[];
    templating: { list: Array<{ name: string; query: string | { query: string } }> };
  };
  const out: Array<{ where: string; expr: string; legend?: string }> = [];
  for (const p of d.panels) for (const t of p.targets ?? []) out.push({ where: p.title, expr: t.expr, legend: t.legendFormat });
  for (const v of d.templating.list) if (typeof v.query === 'object') out.push({ where: `$${v.name}`, expr: v.query.query.replace(/^label_values\((.*), (\w+)\)$/, 'count by ($2) ($1)') });
  return out;
}

// contrib/grafana/madman.json, the Grafana dashboard for /metrics: every query names
// metrics the agent registers, with labels those metrics have (by, matchers, legends).
// (test/e2e/http-prometheus.test.ts runs each query in a real Prometheus too.)

import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { agentMetrics } from '../../src/http/metrics.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { SnmpStats } from '../../src/snmp/udp-agent.js';
import { UsmStats } from '../../src/snmp/usm/usm.js';
import { DASHBOARD, dashboardQueries, type Panel } from '../helpers/grafana.js';

describe('Grafana dashboard (contrib/grafana/madman.json)', () => {
  const registry = agentMetrics(new MailSystem(), { version: '0', startedAt: 0, stats: new SnmpStats(), usmStats: new UsmStats(), instances: () => 0 }).registry;
  const labels = new Map<string, string[]>();
  for (const m of registry.getMetricsAsArray()) {
    const names = [...((m as unknown as { labelNames?: string[] }).labelNames ?? []), 'instance', 'job'];
    labels.set(m.name, names);
    if ((m as unknown as { type: string }).type === 'histogram') for (const s of ['_sum', '_count']) labels.set(m.name + s, names);
    if ((m as unknown as { type: string }).type === 'histogram') labels.set(`${m.name}_bucket`, [...names, 'le']);
  }
  const queries = dashboardQueries();

  it('has queries, every panel on the dashboard\'s data source variable', () => {
    const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
    expect(queries.length).to.be.greaterThan(20);
    for (const p of d.panels.filter((x) => x.type !== 'row')) expect(p.datasource?.uid, p.title).to.equal('${datasource}');
  });

  it('names only metrics the agent registers, and only their labels', () => {
    for (const q of queries) {
      const metrics = [...q.expr.matchAll(/\b(madman_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
      expect(metrics.length, `${q.where}: ${q.expr}`).to.be.greaterThan(0);
      const known = new Set<string>();
      for (const m of metrics) {
        expect(labels.has(m), `${q.where}: ${m} is not a metric of the agent`).to.equal(true);
        for (const l of labels.get(m)!) known.add(l);
      }
      // matchers right after a metric name: {label="...", label=~"..."}
      for (const m of q.expr.matchAll(/\b(madman_[a-z0-9_]+)\{([^}]*)\}/g)) {
        for (const l of m[2]!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) expect(labels.get(m[1]!), `${q.where}: ${m[1]} has no label ${l[1]}`).to.include(l[1]!);
      }
      for (const by of q.expr.matchAll(/\bby \(([^)]*)\)/g)) for (const l of by[1]!.split(',').map((x) => x.trim())) expect(known.has(l), `${q.where}: by (${l})`).to.equal(true);
      for (const l of (q.legend ?? '').matchAll(/\{\{(\w+)\}\}/g)) expect(known.has(l[1]!), `${q.where}: legend {{${l[1]}}}`).to.equal(true);
    }
  });
});

// The Prometheus registry of one agent: every family of metrics-mail.ts and
// metrics-agent.ts, read from the model at scrape time, and the HTTP listener's own
// request counter (the one metric that is not in the model).

import { Counter, Registry } from 'prom-client';
import type { MailSystem } from '../model/mail-system.js';
import { agentMetricFamilies, probeHistogram, type AgentFigures } from './metrics-agent.js';
import { mailMetricFamilies } from './metrics-mail.js';
import { registerFamily, registerHistogram } from './metric-kit.js';

export interface AgentMetrics {
  registry: Registry;
  /** HTTP requests answered, by route and status code */
  requests: Counter<'path' | 'code'>;
}

/** A registry over `model`; `clock` is the scrape's time (ages are taken at it). */
export function agentMetrics(model: MailSystem, figures: AgentFigures, clock: () => number = Date.now): AgentMetrics {
  const registry = new Registry();
  for (const f of [...mailMetricFamilies(model), ...agentMetricFamilies(model, figures)]) registerFamily(registry, f, clock);
  registerHistogram(registry, probeHistogram(model));
  const requests = new Counter({
    name: 'madman_http_requests_total',
    help: 'HTTP requests answered by the agent, by route and status code',
    labelNames: ['path', 'code'] as const,
    registers: [registry],
  });
  return { registry, requests };
}

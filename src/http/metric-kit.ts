// How /metrics is built: each metric is a prom-client Counter or Gauge whose values are
// read from the model when Prometheus scrapes (prom-client's `collect`), never pushed
// by the sources; so a scrape and an SNMP request made at the same moment read the
// same figures, and nothing runs between scrapes. prom-client formats and escapes the
// exposition text.

import { Counter, Gauge, Registry, type Metric } from 'prom-client';

export type Labels = Record<string, string>;

/** One column of a family of metrics over rows of the model. */
export interface MetricColumn<R> {
  /** full metric name, with its unit and _total for counters */
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  /** the value for a row; undefined leaves the row out of this metric (not known yet) */
  value: (row: R, now: number) => number | undefined;
}

/** A counter column: a model figure that only grows (a reset shows as a drop). */
export function counter<R>(name: string, help: string, value: MetricColumn<R>['value']): MetricColumn<R> {
  return { name, help, type: 'counter', value };
}

/** A gauge column: a figure that goes up and down, or a time. */
export function gauge<R>(name: string, help: string, value: MetricColumn<R>['value']): MetricColumn<R> {
  return { name, help, type: 'gauge', value };
}

/** A set of metrics over the same rows and labels. */
export interface MetricFamily<R> {
  labelNames: readonly string[];
  rows: () => Iterable<R>;
  labels: (row: R) => Labels;
  columns: Array<MetricColumn<R>>;
}

/** A family with its row type erased (as view.ts's table() erases a table's). */
export type AnyFamily = MetricFamily<unknown>;

/** Erases the row type of a family, so families of different rows go in one list. */
export function family<R>(f: MetricFamily<R>): AnyFamily {
  return f as unknown as AnyFamily;
}

/**
 * Registers every column of `family` in `registry`; each metric reads the rows at
 * scrape time. `clock` gives the scrape's time, for ages ("seconds since").
 */
export function registerFamily<R>(registry: Registry, family: MetricFamily<R>, clock: () => number): void {
  const labelNames = [...family.labelNames];
  for (const col of family.columns) {
    const fill = async (put: (labels: Labels, v: number) => void) => {
      const now = clock();
      let n = 0;
      for (const r of family.rows()) {
        const v = col.value(r, now);
        if (v !== undefined && Number.isFinite(v)) put(family.labels(r), v);
        // a slice at a time: SNMP requests are answered in between (see renderMetrics)
        if (++n % ROWS_PER_SLICE === 0) await nextTurn();
      }
    };
    const config = { name: col.name, help: col.help, labelNames, registers: [registry] };
    if (col.type === 'counter') {
      new Counter({
        ...config,
        async collect() {
          this.reset();
          // a model counter never goes down; a negative value would make prom-client throw
          await fill((l, v) => this.inc(l, v < 0 ? 0 : v));
        },
      });
    } else {
      new Gauge({
        ...config,
        async collect() {
          this.reset();
          await fill((l, v) => this.set(l, v));
        },
      });
    }
  }
}

/** Rows read between two turns of the event loop while a scrape is rendered. */
const ROWS_PER_SLICE = 256;

/** Lets the event loop run (UDP requests waiting are answered) before going on. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Series formatted between two turns of the event loop. */
const SERIES_PER_SLICE = 1000;

/**
 * The exposition text of `registry`, one metric after the other, each read in slices of
 * rows and formatted in slices of series, with the event loop let through in between:
 * with 1,000 channels a scrape is about 37,000 series and 200 ms of CPU, which in one go
 * would hold every SNMP request waiting (prom-client's metrics() reads and formats all at
 * once; one metric alone, the error codes, is 9,000 series). prom-client still formats
 * every line: each slice is given to it as a metric of its own in a registry of its own.
 * Each series is exact at the moment it is read; the scrape as a whole spans those moments.
 */
export async function renderMetrics(registry: Registry): Promise<string> {
  const parts: string[] = [];
  for (const m of registry.getMetricsAsArray()) {
    await nextTurn();
    const data = await (m as unknown as Metric).get();
    for (let i = 0; i === 0 || i < data.values.length; i += SERIES_PER_SLICE) {
      if (i > 0) await nextTurn();
      const slice = new Registry();
      const part = { name: data.name, help: data.help, type: data.type, get: () => Promise.resolve({ ...data, values: data.values.slice(i, i + SERIES_PER_SLICE) }), reset() {} };
      slice.registerMetric(part as unknown as Metric);
      const text = (await slice.metrics()).trimEnd();
      // HELP and TYPE once, before the first slice
      parts.push(i === 0 ? text : text.slice(text.indexOf('\n', text.indexOf('\n') + 1) + 1));
    }
  }
  return `${parts.join('\n')}\n`;
}

/** A single value with no labels. */
export function scalar(name: string, help: string, type: 'counter' | 'gauge', value: () => number | undefined): AnyFamily {
  return family<null>({ labelNames: [], rows: () => [null], labels: () => ({}), columns: [{ name, help, type, value: () => value() }] });
}

/** A histogram whose buckets are kept in the model (e.g. probe response times). */
export interface HistogramRows<R> {
  name: string;
  help: string;
  labelNames: readonly string[];
  /** upper bounds of the buckets */
  buckets: readonly number[];
  rows: () => Iterable<R>;
  labels: (row: R) => Labels;
  /** per-bucket counts (not cumulative), sum and count of a row; undefined: no observation yet */
  data: (row: R) => { counts: readonly number[]; sum: number; count: number } | undefined;
}

/**
 * Registers a histogram read from the model. prom-client's Histogram can only be fed
 * observations, and the model already holds the counts; so this metric gives the registry
 * its values in the shape its get() returns (MetricObjectWithValues), and prom-client
 * formats them with the others.
 */
export function registerHistogram<R>(registry: Registry, h: HistogramRows<R>): void {
  const metric = {
    name: h.name,
    help: h.help,
    labelNames: [...h.labelNames],
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
      for (const r of h.rows()) {
        const d = h.data(r);
        if (!d) continue;
        const labels = h.labels(r);
        let acc = 0;
        h.buckets.forEach((le, i) => {
          acc += d.counts[i] ?? 0;
          values.push({ labels: { ...labels, le }, value: acc, metricName: `${h.name}_bucket` });
        });
        values.push({ labels: { ...labels, le: '+Inf' }, value: d.count, metricName: `${h.name}_bucket` });
        values.push({ labels, value: d.sum, metricName: `${h.name}_sum` });
        values.push({ labels, value: d.count, metricName: `${h.name}_count` });
      }
      return Promise.resolve({ name: h.name, help: h.help, type: 'histogram', values, aggregator: 'sum' });
    },
    reset() {},
  };
  registry.registerMetric(metric as unknown as Metric);
}

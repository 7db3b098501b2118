// @ts-check
// The status page: reads api/status (the figures) and api/history (the graphs) from the
// agent and draws them; refreshes itself. Everything from the agent (channel names,
// reasons, log-derived text) is put in with textContent, never as HTML.
/* global uPlot */
'use strict';

(function () {
  /** @type {Map<string, {plot: any, box: HTMLElement}>} */
  const charts = new Map();
  let refreshSeconds = 10;
  let historySeconds = 60;

  /** @param {string} tag @param {Record<string, string>} [attrs] @param {(Node|string)[]} [children] */
  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children || []) e.append(c);
    return e;
  }

  /** @param {number|null|undefined} n */
  function num(n) {
    return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US');
  }

  /** @param {number|null|undefined} s seconds */
  function duration(s) {
    if (s === null || s === undefined) return '–';
    s = Math.floor(s);
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  }

  /** @param {number|null|undefined} ms epoch ms @param {number} now */
  function ago(ms, now) {
    return ms === null || ms === undefined ? '–' : `${duration((now - ms) / 1000)} ago`;
  }

  /** @param {number} b */
  function bytes(b) {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (b >= 1024 && i < u.length - 1) {
      b /= 1024;
      i++;
    }
    return `${b.toFixed(i ? 1 : 0)} ${u[i]}`;
  }

  /**
   * A table: columns are [heading, cell(row)] where a cell is text, or
   * {text, cls, value} (value: the exact figure, kept in data-value).
   * @param {string} id @param {any[]} rows @param {[string, (r: any) => any][]} cols @param {string} empty
   */
  function table(id, rows, cols, empty) {
    const box = /** @type {HTMLElement} */ (document.getElementById(id));
    if (!rows.length) {
      box.replaceChildren(el('p', { class: 'empty' }, [empty]));
      return;
    }
    const head = el('tr', {}, cols.map(([h, f]) => el('th', isNum(f(rows[0])) ? { class: 'num' } : {}, [h])));
    const body = rows.map((r) =>
      el(
        'tr',
        {},
        cols.map(([h, f]) => {
          const v = f(r);
          if (isNum(v)) return el('td', { class: 'num', 'data-col': h, 'data-value': String(v.value) }, [num(v.value)]);
          if (v && typeof v === 'object') return el('td', { class: v.cls || '', 'data-col': h }, [String(v.text)]);
          return el('td', { 'data-col': h }, [String(v)]);
        }),
      ),
    );
    box.replaceChildren(el('table', {}, [el('thead', {}, [head]), el('tbody', {}, body)]));
  }

  /** @param {any} v */
  function isNum(v) {
    return v && typeof v === 'object' && 'value' in v;
  }
  /** @param {number} n */
  const n = (n) => ({ value: n });
  /** @param {string} s */
  const status = (s) => ({ text: s, cls: `status-${s}` });

  /** @param {any} s the api/status JSON */
  function renderStatus(s) {
    const now = s.now;
    document.title = `madman – ${s.host}`;
    /** @type {HTMLElement} */ (document.getElementById('host')).textContent = s.host;
    /** @type {HTMLElement} */ (document.getElementById('meta')).textContent =
      `madman ${s.version}, up ${duration((now - s.startedAt) / 1000)}; figures of ${new Date(now).toLocaleTimeString()}`;
    table('applications-table', s.applications, [
      ['application', (a) => a.name],
      ['status', (a) => status(a.status)],
      ['version', (a) => a.version || '–'],
      ['inbound', (a) => n(a.inbound)],
      ['outbound', (a) => n(a.outbound)],
      ['last change', (a) => ago(a.lastChange, now)],
    ], 'no application yet');
    renderMtas(s);
    table('alarms-table', s.alarms, [
      ['alarm', (a) => a.alarm],
      ['instance', (a) => a.instance],
      ['value', (a) => (a.current === null ? '–' : `${a.current} (${a.direction} ${a.threshold})`)],
      ['raised', (a) => ago(a.since, now)],
      ['what', (a) => ({ text: a.description, cls: 'wrap' })],
    ], `no alarm raised (${s.alarmInstances} watched)`);
    table('disks-table', s.disks, [
      ['path', (d) => d.path],
      ['mount point', (d) => d.mountPoint || '–'],
      ['size', (d) => (d.lastStat === null ? '–' : bytes(d.totalBytes))],
      ['available', (d) => (d.lastStat === null ? '–' : bytes(d.availBytes))],
      ['% available', (d) => (d.percentAvail === null ? '–' : `${Math.floor(d.percentAvail)} %`)],
      ['read', (d) => (d.reason ? { text: d.reason, cls: 'status-failing' } : ago(d.lastStat, now))],
    ], 'no disk watched');
    table('probes-table', s.probes, [
      ['service', (p) => p.name],
      ['status', (p) => status(p.status)],
      ['response', (p) => (p.responseMs === null ? '–' : `${(p.responseMs / 1000).toFixed(3)} s`)],
      ['phases', (p) => ({ text: p.phases.map((/** @type {any} */ x) => `${x.name} ${x.ms.toFixed(1)} ms`).join(', ') || '–', cls: 'wrap' })],
      ['checked', (p) => ago(p.lastCheck, now)],
      ['reason', (p) => ({ text: p.reason || '–', cls: 'wrap' })],
    ], 'no service probed');
    table('services-table', s.services, [
      ['service', (x) => x.name],
      ['open', (x) => n(x.current)],
      ['connections', (x) => n(x.connections)],
      ['good logins', (x) => n(x.goodLogins)],
      ['failed logins', (x) => n(x.failedLogins)],
    ], 'no service statistics');
    table('sources-table', s.sources, [
      ['source', (x) => x.name],
      ['input', (x) => ({ text: x.input, cls: 'wrap' })],
      ['status', (x) => (x.ok ? status('ok') : { text: `failing: ${x.reason}`, cls: 'status-failing wrap' })],
      ['lines', (x) => n(x.lines)],
      ['not understood', (x) => n(x.unparsed)],
      ['saved', (x) => ago(x.lastCheckpoint, now)],
    ], 'no source configured');
  }

  /** One section per MTA: its queue, its graphs, its channels. @param {any} s */
  function renderMtas(s) {
    const box = /** @type {HTMLElement} */ (document.getElementById('mtas'));
    const want = s.mtas.map((/** @type {any} */ m) => `mta-${m.index}`);
    for (const child of [...box.children]) if (!want.includes(child.id)) child.remove();
    for (const m of s.mtas) {
      let sec = document.getElementById(`mta-${m.index}`);
      if (!sec) {
        sec = el('section', { id: `mta-${m.index}`, class: 'mta' }, [
          el('h2', {}, [m.name]),
          el('div', { class: 'queue' }),
          el('div', { class: 'charts' }),
          el('p', { class: 'note' }),
          el('div', { class: 'scroll', id: `mta-${m.index}-channels` }),
        ]);
        box.append(sec);
      }
      const q = /** @type {HTMLElement} */ (sec.querySelector('.queue'));
      q.replaceChildren(
        el('span', {}, ['received ', el('b', { 'data-value': String(m.received), id: `mta-${m.index}-received` }, [num(m.received)])]),
        el('span', {}, ['transmitted ', el('b', { 'data-value': String(m.transmitted), id: `mta-${m.index}-transmitted` }, [num(m.transmitted)])]),
        el('span', {}, ['queued ', el('b', { 'data-value': String(m.queued), id: `mta-${m.index}-queued` }, [`${num(m.queued)} (${bytes(m.queuedBytes)})`])]),
        el('span', {}, ['oldest ', el('b', {}, [m.oldestAge === null ? 'none' : `${duration(m.oldestAge)}${m.oldestId ? ` (${m.oldestId})` : ''}`])]),
      );
      table(`mta-${m.index}-channels`, m.channels, [
        ['channel', (c) => c.name],
        ['received', (c) => n(c.received)],
        ['transmitted', (c) => n(c.transmitted)],
        ['rejected', (c) => n(c.rejected)],
        ['queued', (c) => n(c.queued)],
        ['oldest', (c) => (c.oldestAge === null ? '–' : duration(c.oldestAge))],
        ['in', (c) => n(c.inbound)],
        ['out', (c) => n(c.outbound)],
      ], 'no channel yet');
    }
  }

  /** A time axis label: hours and minutes (and seconds when points are seconds apart). @param {number} t seconds */
  function clock(t) {
    const opts = historySeconds < 60 ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false } : { hour: '2-digit', minute: '2-digit', hour12: false };
    return new Date(t * 1000).toLocaleTimeString([], /** @type {Intl.DateTimeFormatOptions} */ (opts));
  }

  const COLORS = { received: '#1565c0', transmitted: '#2e7d32', rejected: '#c62828', queued: '#8d6e63' };

  /**
   * Draws (or updates) one chart of a series of api/history.
   * @param {HTMLElement} parent @param {any} series @param {number[]} times @param {boolean} withQueue
   */
  function chart(parent, series, times, withQueue) {
    const key = series.key;
    const kinds = withQueue ? ['received', 'transmitted', 'rejected', 'queued'] : ['received', 'transmitted', 'rejected'];
    const data = [times.map((t) => t / 1000), ...kinds.map((k) => series[k])];
    // points with a rate (the queue has a figure from the first point; a rate needs two)
    const points = times.filter((_, i) => ['received', 'transmitted', 'rejected'].some((k) => series[k][i] !== null)).length;
    let c = charts.get(key);
    if (c && c.box.parentElement !== parent) {
      c.plot.destroy();
      c.box.remove();
      charts.delete(key);
      c = undefined;
    }
    if (!c) {
      const box = el('div', { class: 'chart', 'data-key': key }, [el('h3', {}, [series.group ? series.group : 'all channels (MTA totals)'])]);
      parent.append(box);
      // the grid gives the box its width; the plot fills it
      const width = Math.max(200, box.clientWidth || 300);
      const opts = {
        width,
        height: 180,
        series: [
          {},
          ...kinds.map((k) => ({
            label: k === 'queued' ? 'queued' : `${k}/min`,
            stroke: COLORS[/** @type {keyof typeof COLORS} */ (k)],
            width: 1.5,
            scale: k === 'queued' ? 'queue' : 'rate',
            spanGaps: false,
          })),
        ],
        scales: { rate: { range: (/** @type {any} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => [0, Math.max(1, max)] } },
        axes: [{ values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) => ticks.map(clock) }, { scale: 'rate', label: 'messages/min', size: 50 }, ...(withQueue ? [{ scale: 'queue', side: 1, label: 'queued', grid: { show: false } }] : [])],
        legend: { live: false },
      };
      const plot = new uPlot(opts, data, box);
      c = { plot, box };
      charts.set(key, c);
    } else {
      c.plot.setData(data);
    }
    c.box.setAttribute('data-points', String(points));
  }

  /** @param {any} h the api/history JSON */
  function renderHistory(h) {
    historySeconds = h.intervalSeconds;
    const seen = new Set();
    for (const m of h.mtas) {
      const sec = document.getElementById(`mta-${m.key.slice(1)}`);
      if (!sec) continue;
      const grid = /** @type {HTMLElement} */ (sec.querySelector('.charts'));
      chart(grid, m, h.times, true);
      seen.add(m.key);
      for (const c of h.channels.filter((/** @type {any} */ c) => c.key.startsWith(`c${m.key.slice(1)}.`))) {
        chart(grid, c, h.times, false);
        seen.add(c.key);
      }
      const note = /** @type {HTMLElement} */ (sec.querySelector('.note'));
      const span = h.times.length > 1 ? duration((h.times[h.times.length - 1] - h.times[0]) / 1000) : 'no time yet';
      note.textContent = `rates per minute, one point every ${duration(h.intervalSeconds)}, over ${span}` + (h.more ? `; ${h.more} quieter channels are in the table only` : '');
    }
    for (const [key, c] of charts) {
      if (seen.has(key)) continue;
      c.plot.destroy();
      c.box.remove();
      charts.delete(key);
    }
  }

  /** @param {string} url */
  async function get(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(`${url}: ${r.status} ${r.statusText}`);
    return r.json();
  }

  /** @param {string} msg */
  function problem(msg) {
    const e = /** @type {HTMLElement} */ (document.getElementById('error'));
    e.hidden = !msg;
    e.textContent = msg;
  }

  async function refreshStatus() {
    try {
      const s = await get('api/status');
      refreshSeconds = s.refreshSeconds;
      renderStatus(s);
      problem('');
    } catch (err) {
      problem(`cannot read the agent's status: ${/** @type {Error} */ (err).message}`);
    }
    setTimeout(refreshStatus, refreshSeconds * 1000);
  }

  async function refreshHistory() {
    try {
      renderHistory(await get('api/history'));
    } catch (err) {
      problem(`cannot read the agent's history: ${/** @type {Error} */ (err).message}`);
    }
    setTimeout(refreshHistory, historySeconds * 1000);
  }

  function resize() {
    for (const c of charts.values()) c.plot.setSize({ width: Math.max(200, c.box.clientWidth), height: 180 });
  }

  addEventListener('resize', resize);
  // the figures first (they make the sections the graphs go in), then the graphs
  refreshStatus().then(refreshHistory);
})();

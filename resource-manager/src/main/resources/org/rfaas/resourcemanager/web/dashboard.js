// The resource manager's live dashboard. Reads the admin token from the URL fragment
// (#token=..., never sent to the server and removed from the address bar) or the login form,
// then reads GET /dashboard/stream with it as a bearer token: Server-Sent Events, one
// "snapshot" event each time the cluster changed. fetch() rather than EventSource, because
// EventSource cannot send an Authorization header and the token must not sit in a URL.
// Everything shown comes from the snapshot and is inserted as text, never as HTML.
'use strict';
(() => {
  const TOKEN_KEY = 'rfaas-admin-token';
  const $ = (id) => document.getElementById(id);
  let token = null;
  let chart = null;
  let nodeChart = null;
  let snapshots = 0;

  function status(text, kind) {
    const s = $('status');
    s.textContent = text;
    s.className = 'status' + (kind ? ' ' + kind : '');
  }

  function readToken() {
    const m = /(?:^|&)token=([^&]*)/.exec(location.hash.slice(1));
    if (m) {
      token = decodeURIComponent(m[1]);
      sessionStorage.setItem(TOKEN_KEY, token);
      history.replaceState(null, '', location.pathname + location.search);
    } else {
      token = sessionStorage.getItem(TOKEN_KEY);
    }
  }

  function askToken(why) {
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    status(why, 'bad');
    $('login').hidden = false;
  }

  async function connect() {
    if (!token) {
      askToken('admin token needed');
      return;
    }
    status('connecting');
    try {
      const res = await fetch('/dashboard/stream', {
        headers: { 'Authorization': 'Bearer ' + token, 'Accept': 'text/event-stream' },
        cache: 'no-store',
      });
      if (res.status === 401) {
        askToken('refused: wrong admin token');
        return;
      }
      if (!res.ok) {
        throw new Error('HTTP ' + res.status);
      }
      status('live', 'ok');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        buf += value;
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          frame(buf.slice(0, end));
          buf = buf.slice(end + 2);
        }
      }
      throw new Error('stream closed');
    } catch (e) {
      status('disconnected (' + e.message + '), retrying', 'bad');
      setTimeout(connect, 2000);
    }
  }

  // One Server-Sent Events frame: "event:" and "data:" lines; comments (":") are keep-alives.
  function frame(text) {
    let event = 'message';
    const data = [];
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith(':')) {
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) {
        value = value.slice(1);
      }
      if (field === 'event') {
        event = value;
      } else if (field === 'data') {
        data.push(value);
      }
    }
    if (event === 'snapshot' && data.length > 0) {
      render(JSON.parse(data.join('\n')));
    }
  }

  function cell(row, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) {
      td.className = cls;
    }
    row.appendChild(td);
    return td;
  }

  function barCell(row, used, total, unit) {
    const td = cell(row, '', 'num');
    const bar = document.createElement('span');
    bar.className = 'bar';
    const fill = document.createElement('i');
    fill.style.width = (total > 0 ? Math.round(100 * used / total) : 0) + '%';
    bar.appendChild(fill);
    td.appendChild(bar);
    td.appendChild(document.createTextNode(used + ' / ' + total + unit));
  }

  function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 120) {
      return s + ' s';
    }
    if (s < 7200) {
      return Math.round(s / 60) + ' min';
    }
    return (s / 3600).toFixed(1) + ' h';
  }

  function seconds(nanos) {
    return (nanos / 1e9).toFixed(3) + ' s';
  }

  function fill(id, items, build) {
    const body = $(id);
    const rows = items.map((item) => {
      const tr = document.createElement('tr');
      build(tr, item);
      return tr;
    });
    body.replaceChildren(...rows);
  }

  function render(s) {
    const now = s.atEpochMillis;
    let cores = 0, coresUsed = 0, mem = 0, memUsed = 0;
    for (const n of s.nodes) {
      cores += n.cores;
      coresUsed += n.cores - n.freeCores;
      mem += n.memoryMiB;
      memUsed += n.memoryMiB - n.freeMemoryMiB;
    }
    const totals = [['nodes', s.nodes.length], ['cores in use', coresUsed + ' / ' + cores],
      ['memory in use (MiB)', memUsed + ' / ' + mem], ['active leases', s.activeLeases]];
    $('totals').replaceChildren(...totals.map(([label, value]) => {
      const d = document.createElement('div');
      d.textContent = value;
      const l = document.createElement('span');
      l.textContent = label;
      d.appendChild(l);
      return d;
    }));

    fill('nodes', s.nodes, (tr, n) => {
      tr.dataset.node = n.name;
      tr.dataset.state = n.state;
      cell(tr, n.name);
      cell(tr, n.state, 'state-' + n.state);
      cell(tr, n.transport + ' ' + n.address + ':' + n.port);
      barCell(tr, n.cores - n.freeCores, n.cores, '');
      barCell(tr, n.memoryMiB - n.freeMemoryMiB, n.memoryMiB, ' MiB');
      cell(tr, n.activeLeases, 'num');
      const r = (s.nodeRates || {})[n.name];
      const rate = (v) => (v === null || v === undefined ? '–' : v < 10 ? v.toFixed(1) : Math.round(v).toString());
      cell(tr, r ? rate(r.invocationsPerSecond) : '–', 'num rate-calls');
      const cold = r ? rate(r.coldStartsPerSecond) : '–';
      cell(tr, r && r.coldStartMeanMillis ? cold + ' (' + r.coldStartMeanMillis.toFixed(1) + ' ms)' : cold,
        'num rate-cold');
      cell(tr, r ? r.invocations : '–', 'num calls-total');
      cell(tr, duration(now - n.lastHeartbeatEpochMillis) + ' ago', 'num');
    });

    $('lease-count').textContent = s.activeLeases > s.leases.length
      ? '(' + s.leases.length + ' newest of ' + s.activeLeases + ')' : '(' + s.activeLeases + ')';
    fill('leases', s.leases, (tr, l) => {
      tr.dataset.lease = l.leaseId;
      cell(tr, l.leaseId, 'num');
      cell(tr, l.tenant);
      cell(tr, l.node);
      cell(tr, l.cores, 'num');
      cell(tr, l.memoryMiB + ' MiB', 'num');
      cell(tr, duration(now - l.createdAtEpochMillis), 'num');
      cell(tr, duration(l.expiresAtEpochMillis - now), 'num');
    });

    fill('billing', s.billing, (tr, b) => {
      tr.dataset.tenant = b.tenant;
      cell(tr, b.tenant);
      cell(tr, b.leases, 'num');
      cell(tr, seconds(b.allocationNanos), 'num');
      cell(tr, seconds(b.computeNanos), 'num');
      cell(tr, seconds(b.hotPollingNanos), 'num');
      cell(tr, b.memoryMiBSeconds.toFixed(1) + ' MiB·s', 'num');
    });

    fill('events', s.events, (tr, e) => {
      tr.dataset.event = e.kind;
      cell(tr, new Date(e.atEpochMillis).toLocaleTimeString(), 'num');
      cell(tr, e.kind);
      cell(tr, e.subject);
      cell(tr, e.detail);
    });

    rates(s.rates);
    nodeRates(s.nodeRates || {});
    snapshots++;
    document.body.dataset.snapshots = String(snapshots);
  }

  const COLORS = { granted: '#2e8b57', refused: '#8e44ad', released: '#3b7dd8', expired: '#d68910', revoked: '#c0392b' };

  function rates(r) {
    if (typeof Chart === 'undefined') {
      return; // the chart library failed to load; the tables still work
    }
    const names = Object.keys(r.series);
    const labels = r.series[names[0]].map((_, i, a) => (i - a.length + 1) + ' s');
    if (chart === null) {
      chart = new Chart($('rates'), {
        type: 'line',
        data: { labels, datasets: names.map((name) => ({
          label: name, data: r.series[name], borderColor: COLORS[name], backgroundColor: COLORS[name],
          pointRadius: 0, borderWidth: 1.5, tension: 0.2 })) },
        options: { animation: false, maintainAspectRatio: false,
          scales: { x: { ticks: { maxTicksLimit: 7 } }, y: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    } else {
      chart.data.labels = labels;
      chart.data.datasets.forEach((d) => { d.data = r.series[d.label]; });
      chart.update('none');
    }
  }

  const NODE_COLORS = ['#3b7dd8', '#2e8b57', '#d68910', '#c0392b', '#8e44ad', '#16a085', '#7f8c8d', '#b7950b'];

  // One line per charted node: x = seconds before the snapshot, y = invocations per second.
  function nodeRates(byNode) {
    if (typeof Chart === 'undefined') {
      return;
    }
    const datasets = Object.entries(byNode).filter(([, r]) => r.history).map(([name, r], i) => ({
      label: name, data: r.history.map(([x, y]) => ({ x, y })), borderColor: NODE_COLORS[i % NODE_COLORS.length],
      backgroundColor: NODE_COLORS[i % NODE_COLORS.length], pointRadius: r.history.length < 3 ? 3 : 0, borderWidth: 1.5,
      tension: 0.2 }));
    if (nodeChart === null) {
      nodeChart = new Chart($('node-rates'), {
        type: 'line',
        data: { datasets },
        options: { animation: false, maintainAspectRatio: false, parsing: true,
          scales: { x: { type: 'linear', min: -120, max: 0, ticks: { callback: (v) => v + ' s' } },
            y: { beginAtZero: true } } },
      });
    } else {
      nodeChart.data.datasets = datasets;
      nodeChart.update('none');
    }
  }

  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('token').value;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('login').hidden = true;
    connect();
  });

  readToken();
  connect();
})();

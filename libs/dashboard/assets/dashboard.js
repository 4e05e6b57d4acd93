// redstream dashboard client: live refresh of server-rendered fragments, uPlot charts and the
// confirmed write actions. Loaded as a file ('self' only under the page's CSP); it never turns
// data into markup itself: fragments come escaped from the server, everything else is textContent.
(function () {
  'use strict';
  var body = document.body;
  var base = body.dataset.base;
  var REFRESH_MS = 1000;
  var CHART_REFRESH_MS = 2000;
  var statusEl = document.getElementById('live-status');

  function setStatus(ok, text) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.className = ok ? 'live ok' : 'live bad';
  }

  function toast(text, bad) {
    var el = document.getElementById('toast');
    el.textContent = text;
    el.className = bad ? 'bad' : 'ok';
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, bad ? 8000 : 4000);
  }

  // Live fragments: the server renders (and escapes) the part of the page that changes.
  var liveEl = document.getElementById('live');
  if (liveEl && 'live' in body.dataset) {
    var refresh = function () {
      if (document.hidden) return setTimeout(refresh, REFRESH_MS);
      var url = new URL(location.href);
      url.searchParams.set('fragment', 'live');
      fetch(url, { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) {
          if (!r.ok) throw new Error('HTTP ' + r.status);
          return r.text();
        })
        .then(function (text) {
          if (liveEl.innerHTML !== text) liveEl.innerHTML = text;
          setStatus(true, 'live · ' + new Date().toLocaleTimeString());
        })
        .catch(function (e) { setStatus(false, 'not updating: ' + e.message); })
        .finally(function () { setTimeout(refresh, REFRESH_MS); });
    };
    setStatus(true, 'live');
    setTimeout(refresh, REFRESH_MS);
  }

  // Charts of the stream page.
  var PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#4b5563', '#db2777'];
  var charts = {};
  var chartKey = '';
  function chartSpecs(h) {
    var groups = Object.keys(h.groups);
    return {
      throughput: {
        series: [{ label: 'published/s', color: '#475569' }].concat(groups.map(function (g, i) { return { label: g + ' processed/s', color: PALETTE[i % PALETTE.length] }; })),
        data: [h.published].concat(groups.map(function (g) { return h.groups[g].processed; })),
      },
      pending: {
        series: groups.map(function (g, i) { return { label: g, color: PALETTE[i % PALETTE.length] }; }),
        data: groups.map(function (g) { return h.groups[g].pending; }),
      },
      lag: {
        series: groups.map(function (g, i) { return { label: g, color: PALETTE[i % PALETTE.length] }; }),
        data: groups.map(function (g) { return h.groups[g].lag; }),
      },
    };
  }
  function drawCharts(h) {
    var specs = chartSpecs(h);
    var key = Object.keys(h.groups).join('\u0000');
    Object.keys(specs).forEach(function (name) {
      var el = document.querySelector('[data-chart="' + name + '"]');
      if (!el) return;
      var spec = specs[name];
      var data = [h.at].concat(spec.data);
      if (charts[name] && key === chartKey) return charts[name].setData(data);
      if (charts[name]) charts[name].destroy();
      el.textContent = '';
      charts[name] = new uPlot({
        width: Math.max(280, el.clientWidth),
        height: 190,
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
        scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } },
        axes: [{ stroke: '#64748b', grid: { stroke: '#eef2f7' } }, { stroke: '#64748b', grid: { stroke: '#eef2f7' }, size: 60 }],
        series: [{}].concat(spec.series.map(function (s) { return { label: s.label, stroke: s.color, width: 2, spanGaps: false, points: { show: false } }; })),
      }, data, el);
    });
    chartKey = key;
    var since = document.getElementById('chart-since');
    if (since) since.textContent = h.since === null ? 'Collecting samples…' : 'Sampled every ' + h.intervalMs / 1000 + ' s since ' + new Date(h.since).toLocaleTimeString() + ' (the dashboard samples while someone has it open).';
  }
  if (body.dataset.history && window.uPlot) {
    var loadHistory = function () {
      fetch(body.dataset.history, { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
        .then(drawCharts)
        .catch(function (e) { setStatus(false, 'charts not updating: ' + e.message); })
        .finally(function () { setTimeout(loadHistory, CHART_REFRESH_MS); });
    };
    loadHistory();
    window.addEventListener('resize', function () {
      Object.keys(charts).forEach(function (name) {
        var el = document.querySelector('[data-chart="' + name + '"]');
        charts[name].setSize({ width: Math.max(280, el.clientWidth), height: 190 });
      });
    });
  }

  // Selection checkboxes.
  document.addEventListener('change', function (event) {
    if (event.target.matches('[data-select-all]')) {
      document.querySelectorAll('input[name="id"]').forEach(function (box) { box.checked = event.target.checked; });
    }
  });
  function selectedIds() {
    return Array.prototype.map.call(document.querySelectorAll('input[name="id"]:checked'), function (box) { return box.value; });
  }

  // Write actions: a dry run says how many entries the action touches, the operator confirms, then it runs.
  function post(stream, path, payload) {
    return fetch(base + 'api/streams/' + encodeURIComponent(stream) + '/' + path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-redstream-dashboard': '1' },
      body: JSON.stringify(payload),
    }).then(function (r) {
      return r.json().then(function (json) {
        if (!r.ok) throw new Error(json.error || 'HTTP ' + r.status);
        return json;
      });
    });
  }

  function confirmAction(title, text, okLabel) {
    var dialog = document.getElementById('confirm');
    document.getElementById('confirm-title').textContent = title;
    document.getElementById('confirm-text').textContent = text;
    document.getElementById('confirm-ok').textContent = okLabel;
    return new Promise(function (resolve) {
      dialog.addEventListener('close', function onClose() {
        dialog.removeEventListener('close', onClose);
        resolve(dialog.returnValue === 'ok');
      });
      dialog.returnValue = '';
      dialog.showModal();
    });
  }

  function plural(n, one, many) { return n.toLocaleString('en-US') + ' ' + (n === 1 ? one : many); }

  var ACTIONS = {
    'replay-selected': function (b) { return deadLetterAction(b, 'replay', { ids: selectedIds() }); },
    'purge-selected': function (b) { return deadLetterAction(b, 'purge', { ids: selectedIds() }); },
    'replay-matching': function (b) { return deadLetterAction(b, 'replay', { filter: { reason: b.dataset.reason, group: b.dataset.group } }); },
    'purge-matching': function (b) { return deadLetterAction(b, 'purge', { filter: { reason: b.dataset.reason, group: b.dataset.group } }); },
    'replay-one': function (b) { return deadLetterAction(b, 'replay', { ids: [b.dataset.id] }); },
    'purge-one': function (b) { return deadLetterAction(b, 'purge', { ids: [b.dataset.id] }); },
    ack: function (b) { return pendingAction(b, 'ack'); },
    claim: function (b) { return pendingAction(b, 'claim'); },
    pause: function (b) { return groupAction(b, 'pause'); },
    resume: function (b) { return groupAction(b, 'resume'); },
    trim: function (b) {
      return run(b.dataset.stream, 'trim', {}, function (dry) {
        return { title: 'Trim ' + b.dataset.stream + ' safely', ok: 'Trim ' + plural(dry.count, 'entry', 'entries'),
          text: 'Remove ' + plural(dry.count, 'entry', 'entries') + ' that every group has read and acknowledged (before ' + dry.minId + '). Nothing a group still needs is removed.' };
      }, function (done) { return 'Removed ' + plural(done.trimmed, 'entry', 'entries'); });
    },
  };

  function deadLetterAction(button, verb, selection) {
    if (selection.ids && selection.ids.length === 0) return toast('Select dead letters first.', true);
    var stream = button.dataset.stream;
    return run(stream, 'dead-letters/' + verb, selection, function (dry) {
      var what = plural(dry.count, 'dead letter', 'dead letters');
      return verb === 'replay'
        ? { title: 'Replay dead letters', ok: 'Replay ' + what, text: 'Re-publish ' + what + ' to ' + stream + ' and remove them from its dead letters. Each message is re-published exactly once.' }
        : { title: 'Purge dead letters', ok: 'Delete ' + what, text: 'Delete ' + what + ' of ' + stream + ' for good. This cannot be undone.' };
    }, function (done) {
      if (verb === 'purge') return 'Deleted ' + plural(done.deleted, 'dead letter', 'dead letters');
      var text = 'Replayed ' + plural(done.replayed, 'dead letter', 'dead letters');
      if (done.alreadyReplayed) text += '; removed ' + done.alreadyReplayed + ' whose message had been replayed already';
      if (done.gone + done.notFound) text += '; ' + (done.gone + done.notFound) + ' were gone meanwhile';
      return text;
    }, button.dataset.id ? base + 'streams/' + encodeURIComponent(stream) + '/dead-letters' : undefined);
  }

  function groupAction(button, verb) {
    var stream = button.dataset.stream;
    var group = button.dataset.group;
    return run(stream, 'groups/' + verb, { group: group }, function (dry) {
      var consumers = plural(dry.consumers, 'consumer', 'consumers');
      return verb === 'pause'
        ? { title: 'Pause group ' + group, ok: 'Pause ' + group,
            text: 'Stop the ' + consumers + ' of group ' + group + ' on ' + stream + ' taking new entries within a second: ' + plural(dry.lag, 'entry', 'entries') +
              ' not yet read wait, the ' + plural(dry.pending, 'pending entry', 'pending entries') + ' already taken finish, and reclaim stops until you resume.' }
        : { title: 'Resume group ' + group, ok: 'Resume ' + group,
            text: 'Let the ' + consumers + ' of group ' + group + ' on ' + stream + ' take entries again: ' + plural(dry.lag, 'entry', 'entries') + ' are waiting.' };
    }, function () { return (verb === 'pause' ? 'Paused ' : 'Resumed ') + group; });
  }

  function pendingAction(button, verb) {
    var ids = selectedIds();
    if (ids.length === 0) return toast('Select pending entries first.', true);
    var group = button.dataset.group;
    var payload = { group: group, ids: ids };
    // A stream with priority levels: the level whose stream the listed entries are pending on.
    if (button.dataset.priority && button.dataset.priority !== 'normal') payload.priority = button.dataset.priority;
    if (verb === 'claim') {
      payload.to = (document.getElementById('claim-to').value || '').trim();
      if (!payload.to) return toast('Name the consumer that takes the entries over.', true);
    }
    return run(button.dataset.stream, 'pending/' + verb, payload, function (dry) {
      var what = plural(dry.count, 'pending entry', 'pending entries');
      var skipped = dry.skipped.length ? ' (' + dry.skipped.length + ' selected are no longer pending)' : '';
      return verb === 'ack'
        ? { title: 'Acknowledge entries', ok: 'Acknowledge ' + what, text: 'Acknowledge ' + what + ' in group ' + group + skipped + '. The group will not process them again.' }
        : { title: 'Claim entries', ok: 'Claim ' + what, text: 'Move ' + what + ' to consumer ' + payload.to + ' in group ' + group + skipped + '.' };
    }, function (done) {
      return verb === 'ack' ? 'Acknowledged ' + plural(done.acked, 'entry', 'entries') : 'Claimed ' + plural(done.claimed, 'entry', 'entries') + ' for ' + done.to;
    });
  }

  function run(stream, path, selection, describe, report, afterUrl) {
    var dryRun = Object.assign({}, selection, { dryRun: true });
    return post(stream, path, dryRun).then(function (dry) {
      if (dry.count === 0) return toast('Nothing to do: no entry matches any more.', true);
      var c = describe(dry);
      return confirmAction(c.title, c.text, c.ok).then(function (ok) {
        if (!ok) return;
        return post(stream, path, Object.assign({}, selection, { dryRun: false, expected: dry.count })).then(function (done) {
          toast(report(done));
          setTimeout(function () { if (afterUrl) location.assign(afterUrl); else location.reload(); }, 900);
        });
      });
    }).catch(function (e) { toast(e.message, true); });
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest('[data-action]');
    if (!button || !ACTIONS[button.dataset.action]) return;
    event.preventDefault();
    button.disabled = true;
    Promise.resolve(ACTIONS[button.dataset.action](button)).finally(function () { button.disabled = false; });
  });
})();

// The admin page: plain DOM, no framework. Everything shown comes from the admin API and is written with
// textContent, never as HTML, because order data and error messages come from outside systems.
'use strict';

(() => {
  const tokenKey = 'order-bridge-admin-token';
  const refreshMs = 3000;
  const $ = (id) => document.getElementById(id);

  let refreshTimer = null;
  let refreshing = false;
  let history = null;
  let routeNames = [];

  /** Builds an element; string and number children become text nodes. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else if (name === 'className') node.className = value;
      else node.setAttribute(name, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function when(iso) {
    if (!iso) return '—';
    const date = new Date(iso);
    return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
  }

  function every(ms) {
    if (ms % 3600000 === 0) return `${ms / 3600000} h`;
    if (ms % 60000 === 0) return `${ms / 60000} min`;
    if (ms % 1000 === 0) return `${ms / 1000} s`;
    return `${ms} ms`;
  }

  /** "alreadyExported" → "already exported". */
  function words(name) {
    return name.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
  }

  function notice(text, kind) {
    const box = $('notice');
    box.textContent = text;
    box.className = kind || '';
    box.hidden = false;
  }

  async function api(method, path) {
    const response = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${sessionStorage.getItem(tokenKey)}`, accept: 'application/json' },
      cache: 'no-store',
    });
    if (response.status === 401) {
      signOut('The token was refused: sign in again.');
      throw new Error('unauthorized');
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(body && body.message ? body.message : `HTTP ${response.status}`);
    return body;
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value !== '' && value !== undefined) search.set(name, value);
    const text = search.toString();
    return text === '' ? '' : `?${text}`;
  }

  function replaceRows(table, rows) {
    table.querySelector('tbody').replaceChildren(...rows);
  }

  function runCell(run) {
    if (!run) return el('td', { className: 'muted' }, 'not since start');
    const summary = run.summary ? Object.entries(run.summary).map(([k, v]) => `${v} ${words(k)}`).join(', ') : '';
    return el(
      'td',
      {},
      el('span', { className: `badge ${run.outcome}` }, run.outcome),
      ' ',
      when(run.finishedAt || run.startedAt),
      summary ? el('div', { className: 'muted' }, summary) : null,
      run.error ? el('div', { className: 'error' }, run.error) : null,
    );
  }

  /** "odoo (odoo, 19.0 over json2)": a connection, its type and, for Odoo, the version and protocol in use. */
  function endLabel(end) {
    const speaks = end.protocol === undefined ? '' : `, ${end.version ?? 'version not known yet'} over ${end.protocol}`;
    return `${end.connection} (${end.type}${speaks})`;
  }

  function renderRoutes(routes) {
    routeNames = routes.map((r) => r.name);
    const select = $('search-route');
    const chosen = select.value;
    select.replaceChildren(el('option', { value: '' }, 'all'), ...routeNames.map((name) => el('option', { value: name }, name)));
    select.value = routeNames.includes(chosen) ? chosen : '';

    replaceRows(
      $('routes'),
      routes.map((route) => {
        const schedule = [
          route.webhook ? 'webhook' : null,
          route.poll ? `poll every ${every(route.poll.everyMs)}` : 'no poll',
          route.statusCheck ? (route.statusCheck.cron ? `status check "${route.statusCheck.cron}"` : `status check every ${every(route.statusCheck.everyMs)}`) : null,
          route.reconcile ? (route.reconcile.cron ? `reconciliation "${route.reconcile.cron}"` : `reconciliation every ${every(route.reconcile.everyMs)}`) : null,
        ].filter(Boolean);
        return el(
          'tr',
          { 'data-route': route.name },
          el('td', {}, el('strong', {}, route.name), el('div', { className: 'muted' }, `${endLabel(route.from)} → ${endLabel(route.to)}`)),
          el('td', {}, schedule.join(', ')),
          runCell(route.lastPoll),
          runCell(route.lastStatusCheck),
          el('td', {}, `${route.jobs.pending} pending, ${route.jobs.running} running, `, el('span', { className: route.jobs.dead > 0 ? 'error' : '' }, `${route.jobs.dead} dead`)),
          el(
            'td',
            { className: 'actions' },
            route.poll ? el('button', { type: 'button', onclick: () => runNow(route.name, 'poll') }, 'Poll now') : null,
            route.statusCheck ? el('button', { type: 'button', onclick: () => runNow(route.name, 'status-check') }, 'Check statuses now') : null,
            route.reconcile ? el('button', { type: 'button', onclick: () => runNow(route.name, 'reconcile') }, 'Reconcile now') : null,
          ),
        );
      }),
    );
  }

  function orderLabel(job) {
    return job.sourceNumber ? `${job.sourceNumber} (${job.sourceId})` : job.sourceId || '—';
  }

  function renderFailures(jobs) {
    $('failures-empty').hidden = jobs.length > 0;
    $('failures').hidden = jobs.length === 0;
    replaceRows(
      $('failures'),
      jobs.map((job) =>
        el(
          'tr',
          { 'data-job': job.id },
          el('td', {}, String(job.id)),
          el('td', {}, job.route),
          el('td', {}, orderLabel(job)),
          el('td', {}, job.kind),
          el('td', {}, `${job.attempts}/${job.maxAttempts}`),
          el('td', {}, when(job.finishedAt)),
          el('td', { className: 'message' }, job.error || job.errorCode || ''),
          el(
            'td',
            { className: 'actions' },
            el('button', { type: 'button', onclick: () => retry(job) }, 'Retry'),
            job.sourceId ? el('button', { type: 'button', className: 'secondary', onclick: () => openHistory(job.route, job.sourceId) }, 'History') : null,
          ),
        ),
      ),
    );
    const perRoute = new Map();
    for (const job of jobs) perRoute.set(job.route, (perRoute.get(job.route) || 0) + 1);
    $('retry-all').replaceChildren(
      ...[...perRoute].filter(([, count]) => count > 1).map(([route, count]) => el('button', { type: 'button', onclick: () => retryAll(route) }, `Retry all ${count} of ${route}`)),
    );
  }

  function renderOrders(bindings) {
    $('orders-empty').hidden = bindings.length > 0;
    replaceRows(
      $('orders'),
      bindings.map((b) =>
        el(
          'tr',
          { 'data-order': `${b.route}/${b.sourceId}` },
          el('td', {}, b.route),
          el('td', {}, b.sourceNumber || '—'),
          el('td', {}, b.sourceId),
          el('td', {}, b.destinationId || '—'),
          el('td', {}, el('span', { className: `badge ${b.stage}` }, b.stage), b.lastError ? el('div', { className: 'error' }, b.lastError) : null),
          el('td', {}, b.destinationStatus || '—'),
          el('td', {}, when(b.updatedAt)),
          el('td', { className: 'actions' }, el('button', { type: 'button', className: 'secondary', onclick: () => openHistory(b.route, b.sourceId) }, 'History')),
        ),
      ),
    );
  }

  function renderHistory(h) {
    $('history-title').textContent = `${h.binding && h.binding.sourceNumber ? h.binding.sourceNumber : h.sourceId} on ${h.route}`;
    const parts = [];
    if (h.binding) {
      const b = h.binding;
      const facts = [
        ['Stage', b.stage],
        ['Source id', b.sourceId],
        ['Order number', b.sourceNumber || '—'],
        ['Destination id', b.destinationId || '—'],
        ['Destination status', b.destinationStatus || '—'],
        ['Exported', when(b.exportedAt)],
        ['Delivered', when(b.deliveredAt)],
        ['Feedback', b.feedbackRef || '—'],
        ['Last error', b.lastError || '—'],
      ];
      parts.push(el('dl', {}, facts.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])));
    }
    parts.push(el('h3', {}, 'Jobs'));
    parts.push(
      el(
        'table',
        { className: 'jobs' },
        el('thead', {}, el('tr', {}, ['Job', 'Kind', 'State', 'Attempt', 'Started', 'Took', 'Outcome', 'Message'].map((t) => el('th', {}, t)))),
        el(
          'tbody',
          {},
          h.jobs.flatMap((job) => {
            const head = el('tr', { className: 'job' }, el('td', {}, String(job.id)), el('td', {}, job.kind), el('td', {}, el('span', { className: `badge ${job.state}` }, job.state)), el('td', { colspan: 5 }, job.error || ''));
            const attempts = job.history.map((a) =>
              el('tr', {}, el('td', {}), el('td', {}), el('td', {}), el('td', {}, String(a.attempt)), el('td', {}, when(a.startedAt)), el('td', {}, `${a.durationMs} ms`), el('td', {}, el('span', { className: `badge ${a.outcome}` }, a.outcome)), el('td', { className: 'message' }, a.error || '')),
            );
            return [head, ...attempts];
          }),
        ),
      ),
    );
    parts.push(el('h3', {}, `Calls to other systems (${h.exchanges.length})`));
    parts.push(
      el(
        'table',
        { className: 'exchanges' },
        el('thead', {}, el('tr', {}, ['Time', 'Job', 'System', 'Operation', 'Status', 'Took', 'Problem'].map((t) => el('th', {}, t)))),
        el(
          'tbody',
          {},
          h.exchanges.map((x) =>
            el(
              'tr',
              {},
              el('td', {}, when(x.startedAt)),
              el('td', {}, x.jobId === null ? '—' : String(x.jobId)),
              el('td', {}, x.connector),
              el(
                'td',
                {},
                el('details', {}, el('summary', {}, x.operation), el('div', { className: 'muted' }, x.url), el('h4', {}, 'Request'), el('pre', {}, x.requestBody || '(empty)'), el('h4', {}, 'Response'), el('pre', {}, x.responseBody || '(empty)')),
              ),
              el('td', {}, x.httpStatus === null ? 'no answer' : String(x.httpStatus)),
              el('td', {}, `${x.durationMs} ms`),
              el('td', { className: 'error' }, x.fault || x.error || ''),
            ),
          ),
        ),
      ),
    );
    $('history-body').replaceChildren(...parts);
  }

  function searchParams() {
    return {
      route: $('search-route').value,
      sourceNumber: $('search-number').value.trim(),
      destinationId: $('search-destination').value.trim(),
      stage: $('search-stage').value,
      limit: '50',
    };
  }

  async function refresh() {
    if (refreshing || !sessionStorage.getItem(tokenKey)) return;
    refreshing = true;
    try {
      const [routes, dead, orders] = await Promise.all([
        api('GET', '/admin/routes'),
        api('GET', '/admin/jobs?state=dead&limit=200'),
        api('GET', `/admin/bindings${query(searchParams())}`),
      ]);
      renderRoutes(routes.routes);
      renderFailures(dead.jobs);
      renderOrders(orders.bindings);
      if (history) renderHistory(await api('GET', `/admin/orders/${encodeURIComponent(history.route)}/${encodeURIComponent(history.sourceId)}`));
      $('refreshed').textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      if (err.message !== 'unauthorized') notice(`Could not load: ${err.message}`, 'error');
    } finally {
      refreshing = false;
    }
  }

  async function act(description, call) {
    try {
      const result = await call();
      notice(description(result), 'ok');
    } catch (err) {
      if (err.message !== 'unauthorized') notice(err.message, 'error');
    }
    await refresh();
  }

  function retry(job) {
    return act(() => `Job ${job.id} (${orderLabel(job)}) is queued again.`, () => api('POST', `/admin/jobs/${job.id}/retry`));
  }

  function retryAll(route) {
    return act((r) => `${r.jobs} failed job(s) of ${route} are queued again.`, () => api('POST', `/admin/routes/${encodeURIComponent(route)}/retry-dead`));
  }

  function runNow(route, task) {
    const what = { poll: 'Poll', 'status-check': 'Status check', reconcile: 'Reconciliation' }[task];
    return act((r) => `${what} of ${route} ${r.status === 'already-running' ? 'was already running' : 'started'}.`, () => api('POST', `/admin/routes/${encodeURIComponent(route)}/${task}`));
  }

  async function openHistory(route, sourceId) {
    history = { route, sourceId };
    $('history').hidden = false;
    try {
      renderHistory(await api('GET', `/admin/orders/${encodeURIComponent(route)}/${encodeURIComponent(sourceId)}`));
      $('history').scrollIntoView({ behavior: 'smooth', block: 'start' });
    } catch (err) {
      if (err.message !== 'unauthorized') notice(err.message, 'error');
    }
  }

  function show(signedIn) {
    $('login').hidden = signedIn;
    $('console').hidden = !signedIn;
    $('sign-out').hidden = !signedIn;
    clearInterval(refreshTimer);
    refreshTimer = null;
    if (signedIn) {
      refreshTimer = setInterval(() => {
        if (document.visibilityState === 'visible') void refresh();
      }, refreshMs);
      void refresh();
    } else {
      $('token').focus();
    }
  }

  function signOut(message) {
    sessionStorage.removeItem(tokenKey);
    history = null;
    $('history').hidden = true;
    $('login-error').textContent = message || '';
    show(false);
  }

  async function signIn(event) {
    event.preventDefault();
    const token = $('token').value.trim();
    $('token').value = '';
    if (token === '') return;
    sessionStorage.setItem(tokenKey, token);
    try {
      await api('GET', '/admin/routes');
    } catch (err) {
      if (err.message !== 'unauthorized') signOut(`Could not reach the admin API: ${err.message}`);
      return;
    }
    $('login-error').textContent = '';
    show(true);
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', () => signOut(''));
    $('search').addEventListener('submit', (event) => {
      event.preventDefault();
      void refresh();
    });
    $('search-clear').addEventListener('click', () => {
      $('search').reset();
      void refresh();
    });
    $('history-close').addEventListener('click', () => {
      history = null;
      $('history').hidden = true;
    });
    show(Boolean(sessionStorage.getItem(tokenKey)));
  });
})();

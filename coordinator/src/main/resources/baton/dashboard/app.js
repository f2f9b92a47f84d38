// Baton's dashboard: plain DOM, no framework. It reads the HTTP API (GET /api/jobs, /api/nodes, ...) and keeps
// itself current from the Server-Sent Events of GET /api/events, read with fetch() so that the bearer token goes in
// a header (EventSource cannot send one, and a token in the URL would end up in logs).
'use strict';

const PAGE_SIZE = 100;
const FAILURES_PAGE = 50;
const LOG_KEEP = 64 * 1024;
const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
const ACTIVE = new Set(['ACCEPTED', 'QUEUED', 'RUNNING']);

const $ = (id) => document.getElementById(id);

// ---- The API, with the token asked for on a 401 and kept for the tab ----

let token = sessionStorage.getItem('baton.token');
let tokenAsked = null;

function headers(extra) {
  const all = Object.assign({}, extra || {});
  if (token) {
    all.Authorization = 'Bearer ' + token;
  }
  return all;
}

function askToken(wrong) {
  if (!tokenAsked) {
    tokenAsked = new Promise((resolve) => {
      const dialog = $('token-dialog');
      $('token-error').textContent = wrong ? 'That token was refused.' : '';
      $('token-input').value = '';
      $('token-form').onsubmit = (event) => {
        event.preventDefault();
        token = $('token-input').value.trim();
        sessionStorage.setItem('baton.token', token);
        dialog.close();
        tokenAsked = null;
        resolve();
      };
      // The page cannot work without the token: Escape does not close the prompt.
      dialog.oncancel = (event) => event.preventDefault();
      dialog.showModal();
    });
  }
  return tokenAsked;
}

/** Fetches an API path; on 401 asks for the token and tries again. Answers the Response. */
async function call(path, options) {
  for (;;) {
    const response = await fetch(path, Object.assign({}, options, {headers: headers(options && options.headers)}));
    if (response.status !== 401) {
      return response;
    }
    await askToken(Boolean(token));
  }
}

async function getJson(path) {
  const response = await call(path);
  if (!response.ok) {
    const error = new Error(await errorText(response));
    error.status = response.status;
    throw error;
  }
  return response.json();
}

async function errorText(response) {
  try {
    return (await response.json()).error || response.statusText;
  } catch (e) {
    return response.status + ' ' + response.statusText;
  }
}

function showMessage(text) {
  $('message').textContent = text || '';
  $('message').hidden = !text;
}

// ---- Formatting ----

function fmtNumber(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : '-';
}

function fmtRate(n) {
  if (typeof n !== 'number' || !isFinite(n)) {
    return '-';
  }
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

function fmtMillis(ms) {
  if (typeof ms !== 'number' || ms < 0) {
    return '-';
  }
  if (ms < 1000) {
    return ms + ' ms';
  }
  const s = Math.round(ms / 1000);
  if (s < 60) {
    return (ms / 1000).toFixed(1) + ' s';
  }
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return (h ? h + ' h ' : '') + m + ' min ' + (s % 60) + ' s';
}

/** An ISO-8601 time as UTC to the second. */
function fmtTime(iso) {
  return iso ? iso.replace('T', ' ').replace(/(\d\d:\d\d:\d\d)[.\d]*Z$/, '$1 UTC') : null;
}

/** Items done: succeeded, failed or filtered. Those a stopped job did not run are not done. */
function finished(items) {
  return items.succeeded + items.failed + items.filtered;
}

/** Percent done, or null when the total is not known yet. A SUCCEEDED job is 100. */
function percent(job) {
  if (job.state === 'SUCCEEDED') {
    return 100;
  }
  const items = job.items;
  if (!items || items.total < 0) {
    return null;
  }
  if (items.total === 0) {
    return FINAL.has(job.state) ? 100 : 0;
  }
  return Math.min(100, Math.floor((finished(items) * 100) / items.total));
}

function stateText(job) {
  return job.state === 'QUEUED' && job.queuePosition ? 'QUEUED #' + job.queuePosition : job.state;
}

/** A running job's duration goes on between its events. */
function duration(entry) {
  const job = entry.job;
  if (job.state === 'RUNNING') {
    return job.durationMillis + (Date.now() - entry.at);
  }
  return job.startedAt ? job.durationMillis : null;
}

function setProgress(element, job) {
  const p = percent(job);
  element.dataset.state = job.state;
  element.dataset.percent = p === null ? '' : String(p);
  element.firstElementChild.style.width = (p === null ? 0 : p) + '%';
  element.lastElementChild.textContent = p === null ? '-' : p + '%';
}

function progressElement() {
  const bar = document.createElement('div');
  bar.className = 'progress';
  bar.innerHTML = '<div class="fill"></div><span class="label"></span>';
  return bar;
}

function cell(row, className) {
  const td = row.insertCell();
  if (className) {
    td.className = className;
  }
  return td;
}

// ---- The jobs the dashboard knows: one entry per job, kept current by events ----

// id -> {job, at (when this status came), row (its table row, made when first shown)}
const jobs = new Map();
let listDirty = true;
let renderQueued = false;
const dirtyRows = new Set();

/** Takes a job's newer status, keeping the queue positions of the other queued jobs right. */
function applyJob(job) {
  const entry = jobs.get(job.id);
  const old = entry ? entry.job : null;
  if (old && old.state === 'QUEUED' && job.state !== 'QUEUED' && old.queuePosition) {
    shiftQueue(old.queuePosition, -1, job.id);
  } else if (job.state === 'QUEUED' && (!old || old.state !== 'QUEUED') && job.queuePosition) {
    shiftQueue(job.queuePosition, +1, job.id);
  }
  if (entry) {
    if (old.state !== job.state) {
      listDirty = true;
    }
    entry.job = job;
    entry.at = Date.now();
  } else {
    jobs.set(job.id, {job: job, at: Date.now(), row: null});
    listDirty = true;
  }
  dirtyRows.add(job.id);
  scheduleRender();
}

function shiftQueue(from, by, except) {
  for (const entry of jobs.values()) {
    const q = entry.job;
    if (q.id !== except && q.state === 'QUEUED' && q.queuePosition && q.queuePosition >= from) {
      entry.job = Object.assign({}, q, {queuePosition: q.queuePosition + by});
      dirtyRows.add(q.id);
    }
  }
}

async function loadJobs() {
  const asked = Date.now();
  const list = await getJson('/api/jobs');
  const listed = new Set(list.map((job) => job.id));
  // Ended jobs the coordinator no longer keeps (finished-jobs-kept) leave the page too.
  for (const [id, entry] of jobs) {
    if (!listed.has(id) && entry.at < asked && FINAL.has(entry.job.state)) {
      jobs.delete(id);
    }
  }
  for (const job of list) {
    const entry = jobs.get(job.id);
    // An event that came after the list was asked for is newer than the list.
    if (!entry || entry.at < asked) {
      if (entry) {
        entry.job = job;
        entry.at = asked;
        dirtyRows.add(job.id);
      } else {
        jobs.set(job.id, {job: job, at: asked, row: null});
      }
    }
  }
  listDirty = true;
  scheduleRender();
}

function scheduleRender() {
  if (!renderQueued) {
    renderQueued = true;
    requestAnimationFrame(render);
  }
}

function render() {
  renderQueued = false;
  if (route.view === 'jobs') {
    renderJobs();
  } else if (route.view === 'job') {
    renderJob();
  }
}

// ---- Jobs table: only the page shown has rows in the DOM, and a row changes in place when its job does ----

let page = 0;
let shown = [];

function matches(job, text, state) {
  if (state === 'active' ? !ACTIVE.has(job.state) : state && job.state !== state) {
    return false;
  }
  return !text || job.id.toLowerCase().includes(text) || (job.name || '').toLowerCase().includes(text);
}

function renderJobs() {
  if (listDirty) {
    listDirty = false;
    const text = $('filter').value.trim().toLowerCase();
    const state = $('state-filter').value;
    const all = Array.from(jobs.values()).map((entry) => entry.job);
    const filtered = all.filter((job) => matches(job, text, state))
      .sort((a, b) => (b.submittedAt || '').localeCompare(a.submittedAt || ''));
    const pages = Math.max(1, Math.ceil(filtered.length / PAGE_SIZE));
    page = Math.min(page, pages - 1);
    shown = filtered.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE).map((job) => job.id);
    const body = $('jobs-body');
    const fragment = document.createDocumentFragment();
    for (const id of shown) {
      const entry = jobs.get(id);
      if (!entry.row) {
        entry.row = jobRow(id);
      }
      updateRow(entry);
      fragment.appendChild(entry.row);
    }
    body.replaceChildren(fragment);
    dirtyRows.clear();
    const counts = {};
    all.forEach((job) => { counts[job.state] = (counts[job.state] || 0) + 1; });
    $('job-counts').textContent = all.length + ' jobs' + Object.keys(counts).sort()
      .map((s) => ', ' + counts[s] + ' ' + s.toLowerCase()).join('');
    $('page-info').textContent = 'page ' + (page + 1) + ' of ' + pages;
    $('prev-page').disabled = page === 0;
    $('next-page').disabled = page >= pages - 1;
    $('jobs-empty').hidden = jobs.size > 0;
  } else {
    for (const id of dirtyRows) {
      const entry = jobs.get(id);
      if (entry && entry.row && entry.row.isConnected) {
        updateRow(entry);
      }
    }
    dirtyRows.clear();
  }
}

function jobRow(id) {
  const row = document.createElement('tr');
  row.dataset.id = id;
  const link = document.createElement('a');
  link.href = '#/job/' + encodeURIComponent(id);
  link.textContent = id;
  cell(row, 'id').appendChild(link);
  cell(row, 'name');
  cell(row).appendChild(document.createElement('span'));
  cell(row, 'bar-col').appendChild(progressElement());
  cell(row, 'num items');
  cell(row, 'num rate');
  cell(row, 'num eta');
  cell(row, 'num duration');
  return row;
}

function updateRow(entry) {
  const job = entry.job;
  const cells = entry.row.cells;
  cells[1].textContent = job.name || '';
  const state = cells[2].firstChild;
  state.className = 'state ' + job.state;
  state.textContent = stateText(job);
  setProgress(cells[3].firstChild, job);
  const items = job.items;
  cells[4].textContent = items ? fmtNumber(finished(items)) + ' / ' + (items.total < 0 ? '?' : fmtNumber(items.total))
    : '-';
  cells[5].textContent = fmtRate(job.itemsPerSecond);
  cells[6].textContent = job.state === 'RUNNING' && typeof job.etaMillis === 'number' ? fmtMillis(job.etaMillis) : '-';
  cells[7].textContent = fmtMillis(duration(entry));
}

// Durations of running jobs go on without events.
setInterval(() => {
  if (route.view === 'jobs') {
    for (const id of shown) {
      const entry = jobs.get(id);
      if (entry && entry.job.state === 'RUNNING' && entry.row) {
        entry.row.cells[7].textContent = fmtMillis(duration(entry));
      }
    }
  } else if (route.view === 'job') {
    dirtyRows.add(route.id);
    scheduleRender();
  }
}, 1000);

// ---- Job page ----

let failuresOffset = 0;
let failuresShownFor = null;
let failuresLoading = false;
let logNext = 0;
let logTimer = null;

function fact(list, name, value) {
  const box = document.createElement('div');
  const dt = document.createElement('dt');
  dt.textContent = name;
  const dd = document.createElement('dd');
  if (value instanceof Node) {
    dd.appendChild(value);
  } else {
    dd.textContent = value === null || value === undefined || value === '' ? '-' : String(value);
  }
  box.append(dt, dd);
  list.appendChild(box);
}

function stateTimes(stateMillis) {
  if (!stateMillis || typeof stateMillis !== 'object') {
    return '-';
  }
  const parts = Object.keys(stateMillis).map((s) => s.toLowerCase() + ' ' + fmtMillis(stateMillis[s]));
  return parts.length ? parts.join(', ') : '-';
}

function renderJob() {
  const entry = jobs.get(route.id);
  if (!entry) {
    return;
  }
  const job = entry.job;
  $('job-name').textContent = job.name || '';
  $('job-id').textContent = job.id;
  $('job-state').className = 'state ' + job.state;
  $('job-state').textContent = stateText(job);
  $('cancel-button').hidden = FINAL.has(job.state);
  setProgress($('job-progress'), job);

  const items = job.items || {};
  const facts = document.createDocumentFragment();
  const list = document.createElement('div');
  list.style.display = 'contents';
  fact(list, 'Items', (items.total < 0 ? '?' : fmtNumber(items.total)) + ' total');
  fact(list, 'Succeeded', fmtNumber(items.succeeded));
  fact(list, 'Failed', fmtNumber(items.failed));
  fact(list, 'Filtered', fmtNumber(items.filtered));
  fact(list, 'Not run', fmtNumber(items.notRun));
  fact(list, 'Items/s', fmtRate(job.itemsPerSecond));
  fact(list, 'ETA', job.state === 'RUNNING' && typeof job.etaMillis === 'number' ? fmtMillis(job.etaMillis) : '-');
  fact(list, 'Duration', fmtMillis(duration(entry)));
  fact(list, 'Bottleneck', job.bottleneck);
  fact(list, 'Time in each state', stateTimes(job.stateMillis));
  fact(list, 'Submitted', fmtTime(job.submittedAt));
  fact(list, 'Started', fmtTime(job.startedAt));
  fact(list, 'Finished', fmtTime(job.finishedAt));
  fact(list, 'Output', job.output);
  fact(list, 'Waiting for', job.waiting);
  if (job.rerunOf) {
    const link = document.createElement('a');
    link.href = '#/job/' + encodeURIComponent(job.rerunOf);
    link.textContent = job.rerunOf;
    fact(list, 'Rerun of', link);
  } else {
    fact(list, 'Rerun of', null);
  }
  facts.appendChild(list);
  $('job-facts').replaceChildren(facts);
  $('job-error').hidden = !job.error;
  $('job-error').textContent = job.error || '';

  const stages = document.createDocumentFragment();
  (job.stages || []).forEach((stage, index) => {
    const row = document.createElement('tr');
    cell(row).textContent = index + 1;
    cell(row).textContent = stage.op;
    cell(row).textContent = stage.kind || '-';
    cell(row, 'num').textContent = fmtNumber(stage.done);
    cell(row, 'num').textContent = fmtNumber(stage.failed);
    cell(row).textContent = stage.throttled || '-';
    stages.appendChild(row);
  });
  $('stages-body').replaceChildren(stages);

  const nodes = job.nodes || [];
  const sum = nodes.reduce((total, node) => total + node.items, 0);
  const rows = document.createDocumentFragment();
  for (const node of nodes) {
    const row = document.createElement('tr');
    cell(row).textContent = node.address;
    cell(row, 'num').textContent = fmtNumber(node.items);
    const bar = progressElement();
    const share = sum ? Math.round((node.items * 100) / sum) : 0;
    bar.firstElementChild.style.width = share + '%';
    bar.lastElementChild.textContent = share + '%';
    cell(row, 'bar-col').appendChild(bar);
    rows.appendChild(row);
  }
  $('job-nodes-body').replaceChildren(rows);
  $('job-nodes-empty').hidden = nodes.length > 0;

  // The failures table follows the job's failed count.
  const failedKey = job.id + ':' + items.failed + ':' + job.state;
  if (failuresShownFor !== failedKey && !failuresLoading) {
    failuresShownFor = failedKey;
    loadFailures();
  }
}

async function loadFailures() {
  const id = route.id;
  failuresLoading = true;
  try {
    const response = await call('/api/jobs/' + encodeURIComponent(id) + '/failures?offset=' + failuresOffset
      + '&limit=' + FAILURES_PAGE);
    if (route.view !== 'job' || route.id !== id) {
      return;
    }
    const note = $('failures-note');
    if (response.status === 404) {
      $('failures-body').replaceChildren();
      $('failures-total').textContent = '';
      note.textContent = 'This coordinator has no list of failed items for this job (GET /api/jobs/' + id
        + '/failures answered 404); the log below names each failed item and its reason.';
      note.hidden = false;
      setFailuresPager(0);
      return;
    }
    if (!response.ok) {
      note.textContent = 'Cannot read the failed items: ' + await errorText(response);
      note.hidden = false;
      return;
    }
    const body = await response.json();
    const rows = document.createDocumentFragment();
    for (const failure of body.items || []) {
      const row = document.createElement('tr');
      cell(row, 'key').textContent = failure.key;
      cell(row).textContent = failure.stage;
      cell(row).textContent = failure.op;
      cell(row, 'num').textContent = fmtNumber(failure.attempts);
      cell(row, 'reason').textContent = failure.reason;
      rows.appendChild(row);
    }
    $('failures-body').replaceChildren(rows);
    $('failures-total').textContent = '(' + fmtNumber(body.total) + ')';
    note.textContent = 'No item failed.';
    note.hidden = body.total > 0;
    setFailuresPager(body.total);
  } catch (e) {
    $('failures-note').textContent = 'Cannot read the failed items: ' + e.message;
    $('failures-note').hidden = false;
  } finally {
    failuresLoading = false;
  }
}

function setFailuresPager(total) {
  $('failures-pager').hidden = total <= FAILURES_PAGE && failuresOffset === 0;
  const pages = Math.max(1, Math.ceil(total / FAILURES_PAGE));
  $('failures-page').textContent = 'page ' + (Math.floor(failuresOffset / FAILURES_PAGE) + 1) + ' of ' + pages;
  $('failures-prev').disabled = failuresOffset === 0;
  $('failures-next').disabled = failuresOffset + FAILURES_PAGE >= total;
}

/** Reads the job log from where the last read stopped, keeping its last LOG_KEEP characters. */
async function pollLog() {
  const id = route.id;
  try {
    const response = await call('/api/jobs/' + encodeURIComponent(id) + '/log?offset=' + logNext);
    if (route.view !== 'job' || route.id !== id) {
      return;
    }
    const pre = $('log-tail');
    if (response.status === 404) {
      pre.textContent = '(no log yet)';
    } else if (response.ok) {
      const chunk = await response.json();
      if (chunk.text) {
        const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        const text = (logNext === 0 ? '' : pre.textContent) + chunk.text;
        pre.textContent = text.length > LOG_KEEP ? text.slice(text.indexOf('\n', text.length - LOG_KEEP) + 1) : text;
        if (atBottom || logNext === 0) {
          pre.scrollTop = pre.scrollHeight;
        }
      }
      logNext = chunk.next;
    }
  } catch (e) {
    // The next poll tries again.
  }
  const entry = jobs.get(id);
  if (route.view === 'job' && route.id === id) {
    // A finished job's log gets its last lines once more, then no more polls.
    const done = entry && FINAL.has(entry.job.state);
    logTimer = setTimeout(pollLog, done ? 5000 : 1000);
  }
}

async function openJob(id) {
  failuresOffset = 0;
  failuresShownFor = null;
  logNext = 0;
  $('log-tail').textContent = '';
  $('failures-body').replaceChildren();
  $('failures-note').hidden = true;
  try {
    applyJob(await getJson('/api/jobs/' + encodeURIComponent(id)));
    showMessage('');
  } catch (e) {
    showMessage(e.status === 404 ? 'No job ' + id + ' on this coordinator.' : e.message);
    return;
  }
  pollLog();
}

$('cancel-button').addEventListener('click', async () => {
  const id = route.id;
  $('cancel-button').disabled = true;
  try {
    const response = await call('/api/jobs/' + encodeURIComponent(id) + '/cancel', {method: 'POST'});
    if (response.ok) {
      applyJob(await response.json());
    } else {
      showMessage('Cannot cancel: ' + await errorText(response));
    }
  } finally {
    $('cancel-button').disabled = false;
  }
});

$('failures-prev').addEventListener('click', () => {
  failuresOffset = Math.max(0, failuresOffset - FAILURES_PAGE);
  loadFailures();
});
$('failures-next').addEventListener('click', () => {
  failuresOffset += FAILURES_PAGE;
  loadFailures();
});

// ---- Nodes page: the list on each node event and every 2 s; items/s from two readings of itemsDone ----

const nodeReadings = new Map();
let nodesTimer = null;

function renderNodes(nodes) {
  const now = Date.now();
  const rows = document.createDocumentFragment();
  for (const node of nodes) {
    const before = nodeReadings.get(node.address);
    let rate = null;
    if (before && typeof node.itemsDone === 'number' && now > before.at) {
      rate = ((node.itemsDone - before.items) * 1000) / (now - before.at);
      if (now - before.at < 1000) {
        rate = before.rate;
      }
    }
    if (!before || now - before.at >= 1000) {
      nodeReadings.set(node.address, {items: node.itemsDone, at: now, rate: rate});
    }
    const row = document.createElement('tr');
    row.dataset.address = node.address;
    cell(row).textContent = node.address;
    cell(row).textContent = (node.roles || []).join(', ') || '-';
    const status = cell(row).appendChild(document.createElement('span'));
    const up = node.reachable !== false;
    status.className = 'state ' + (up && node.status === 'Up' ? 'SUCCEEDED' : 'FAILED');
    status.textContent = up ? node.status : 'unreachable (' + node.status + ')';
    cell(row, 'num').textContent = fmtNumber(node.workers);
    cell(row, 'num').textContent = fmtNumber(node.busy);
    cell(row, 'num').textContent = fmtRate(rate === null ? undefined : Math.max(0, rate));
    cell(row, 'num').textContent = fmtNumber(node.itemsDone);
    rows.appendChild(row);
  }
  $('nodes-body').replaceChildren(rows);
  $('nodes-empty').hidden = nodes.length > 0;
}

async function pollNodes() {
  try {
    renderNodes(await getJson('/api/nodes'));
    showMessage('');
  } catch (e) {
    showMessage('Cannot read the nodes: ' + e.message);
  }
  if (route.view === 'nodes') {
    nodesTimer = setTimeout(pollNodes, 2000);
  }
}

// ---- Live updates: GET /api/events through fetch(), parsed as Server-Sent Events ----

async function streamEvents() {
  const live = $('live');
  for (;;) {
    try {
      const response = await call('/api/events', {headers: {Accept: 'text/event-stream'}});
      if (!response.ok) {
        throw new Error(await errorText(response));
      }
      live.textContent = 'live';
      live.classList.add('on');
      // Whatever happened while the stream was down is in the list.
      loadJobs().catch((e) => showMessage('Cannot read the jobs: ' + e.message));
      await readEvents(response.body.getReader());
    } catch (e) {
      // Reconnects below.
    }
    live.textContent = 'reconnecting';
    live.classList.remove('on');
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function readEvents(reader) {
  const decoder = new TextDecoder();
  let buffer = '';
  let type = 'message';
  let data = [];
  for (;;) {
    const {value, done} = await reader.read();
    if (done) {
      return;
    }
    buffer += decoder.decode(value, {stream: true});
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (data.length) {
          onEvent(type, data.join('\n'));
        }
        type = 'message';
        data = [];
      } else if (line.startsWith('event:')) {
        type = line.slice(6).trim();
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
    }
  }
}

function onEvent(type, data) {
  if (type === 'job') {
    applyJob(JSON.parse(data));
  } else if (type === 'node' && route.view === 'nodes') {
    renderNodes(JSON.parse(data));
  }
}

// ---- Routes: #/ (jobs), #/job/ID, #/nodes ----

let route = {view: 'jobs'};

function onRoute() {
  const hash = location.hash || '#/';
  const job = hash.match(/^#\/job\/(.+)$/);
  route = job ? {view: 'job', id: decodeURIComponent(job[1])} : hash === '#/nodes' ? {view: 'nodes'} : {view: 'jobs'};
  clearTimeout(logTimer);
  clearTimeout(nodesTimer);
  showMessage('');
  $('jobs-view').hidden = route.view !== 'jobs';
  $('job-view').hidden = route.view !== 'job';
  $('nodes-view').hidden = route.view !== 'nodes';
  document.querySelectorAll('nav a').forEach((a) => {
    a.classList.toggle('current', a.dataset.nav === (route.view === 'nodes' ? 'nodes' : 'jobs'));
  });
  if (route.view === 'job') {
    openJob(route.id);
  } else if (route.view === 'nodes') {
    pollNodes();
  } else {
    listDirty = true;
    scheduleRender();
  }
}

$('filter').addEventListener('input', () => {
  page = 0;
  listDirty = true;
  scheduleRender();
});
$('state-filter').addEventListener('change', () => {
  page = 0;
  listDirty = true;
  scheduleRender();
});
$('prev-page').addEventListener('click', () => {
  page = Math.max(0, page - 1);
  listDirty = true;
  scheduleRender();
});
$('next-page').addEventListener('click', () => {
  page += 1;
  listDirty = true;
  scheduleRender();
});

window.addEventListener('hashchange', onRoute);
onRoute();
streamEvents();

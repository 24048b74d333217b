// The CSV transfer page: buttons that POST to the service's routes, a log of
// their replies, and status panels and a files list refreshed by polling.

const FAST_POLL_MS = 500;
const SLOW_POLL_MS = 3000;
const ACTIVE_STATES = new Set(['queued', 'running']);
const DIRECTIONS = ['upload', 'download'];
const FILE_FOLDERS = ['source', 'uploads', 'downloads'];
const MAX_LOG_ENTRIES = 50;
const KB = 1e3;
const MB = 1e6;
const GB = 1e9;

const numbers = new Intl.NumberFormat('en-US');
const clock = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

const poll = {
  timer: undefined,
  inFlight: false,
  again: false,
  active: false,
  pendingRequests: 0,
  filesKey: '',
};

// ---------------------------------------------------------------------------
// Small helpers

function byId(id) {
  return document.getElementById(id);
}

/** Sets text only when it changes, so polling does not churn the DOM. */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function makeElement(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------
// Formatting

function formatBytes(bytes) {
  if (bytes < KB) return `${bytes} B`;
  if (bytes < MB) return `${(bytes / KB).toFixed(1)} kB`;
  if (bytes < GB) return `${(bytes / MB).toFixed(1)} MB`;
  return `${(bytes / GB).toFixed(2)} GB`;
}

/** "1.25 / 2.00 MB": both sides in the unit that suits the larger. */
function formatProgressBytes(done, total) {
  const [unit, size] = unitFor(Math.max(done, total));
  return `${(done / size).toFixed(2)} / ${(total / size).toFixed(2)} ${unit}`;
}

function unitFor(bytes) {
  if (bytes >= GB) return ['GB', GB];
  if (bytes >= MB) return ['MB', MB];
  return ['kB', KB];
}

function formatRate(bytesPerSecond) {
  return `${(bytesPerSecond / MB).toFixed(2)} MB/s`;
}

function percentOf(transfer) {
  if (transfer.bytesTotal > 0) {
    return Math.min(100, Math.floor((transfer.bytesDone / transfer.bytesTotal) * 100));
  }
  return transfer.state === 'completed' ? 100 : 0;
}

// ---------------------------------------------------------------------------
// Status panels

function renderPanel(direction, transfer) {
  const panel = byId(`${direction}-panel`);
  const part = (name) => byId(`${direction}-${name}`);
  panel.dataset.state = transfer ? transfer.state : 'none';
  if (!transfer) {
    renderEmptyPanel(part);
    return;
  }
  const percent = percentOf(transfer);
  setText(part('state'), transfer.state);
  setText(part('file'), transfer.file);
  part('progress').value = percent;
  setText(part('percent'), `${percent}%`);
  setText(part('bytes'), formatProgressBytes(transfer.bytesDone, transfer.bytesTotal));
  setText(part('records'), numbers.format(transfer.records));
  setText(part('rate'), formatRate(transfer.bytesPerSecond));
  renderPanelError(part('error'), transfer.error);
}

function renderEmptyPanel(part) {
  setText(part('state'), 'none');
  setText(part('file'), 'no copy yet');
  part('progress').value = 0;
  setText(part('percent'), '0%');
  for (const name of ['bytes', 'records', 'rate']) setText(part(name), '–');
  renderPanelError(part('error'), null);
}

function renderPanelError(element, error) {
  element.hidden = !error;
  setText(element, error ? `${error.message} (${error.code})` : '');
}

function showStatusError(message) {
  const element = byId('status-error');
  element.hidden = !message;
  setText(element, message ?? '');
}

// ---------------------------------------------------------------------------
// Files list

function renderFiles(files) {
  const key = JSON.stringify(files);
  if (key === poll.filesKey) return;
  poll.filesKey = key;
  for (const folder of FILE_FOLDERS) {
    byId(`files-${folder}`).replaceChildren(...fileItems(files[folder] ?? []));
  }
}

function fileItems(entries) {
  if (entries.length === 0) return [makeElement('li', 'empty', 'No files')];
  return entries.map((entry) => {
    const item = makeElement('li');
    const pick = makeElement('button', 'file-pick', entry.name);
    pick.type = 'button';
    pick.dataset.file = entry.name;
    pick.title = `Use ${entry.name} as the file name`;
    item.append(pick, makeElement('span', 'file-size', formatBytes(entry.bytes)));
    return item;
  });
}

function pickFile(event) {
  const pick = event.target.closest('button[data-file]');
  if (!pick) return;
  byId('file').value = pick.dataset.file;
}

// ---------------------------------------------------------------------------
// Polling

async function getJson(path) {
  const response = await fetch(path, {
    headers: { Accept: 'application/json' },
    cache: 'no-store',
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

async function refreshStatus() {
  try {
    const status = await getJson('/status');
    for (const direction of DIRECTIONS) renderPanel(direction, status[direction]);
    poll.active = DIRECTIONS.some((d) => ACTIVE_STATES.has(status[d]?.state));
    showStatusError(null);
  } catch (error) {
    showStatusError(`Could not read the status: ${errorText(error)}`);
  }
}

async function refreshFiles() {
  try {
    renderFiles(await getJson('/api/files'));
  } catch {
    // The status line already says when the service cannot be reached.
  }
}

/** Refreshes status and files now; a call during a refresh runs one more after it. */
async function refresh() {
  if (poll.inFlight) {
    poll.again = true;
    return;
  }
  poll.inFlight = true;
  clearTimeout(poll.timer);
  try {
    await Promise.all([refreshStatus(), refreshFiles()]);
  } finally {
    poll.inFlight = false;
    if (poll.again) {
      poll.again = false;
      refresh();
    } else {
      scheduleRefresh();
    }
  }
}

function scheduleRefresh() {
  clearTimeout(poll.timer);
  const busy = poll.active || poll.pendingRequests > 0;
  poll.timer = setTimeout(refresh, busy ? FAST_POLL_MS : SLOW_POLL_MS);
}

// ---------------------------------------------------------------------------
// Commands and their replies

function addLogEntry(button, file) {
  const entry = makeElement('li', 'reply');
  entry.dataset.route = button.dataset.route;
  entry.dataset.state = 'pending';
  const now = new Date();
  const time = makeElement('time', 'reply-time', clock.format(now));
  time.dateTime = now.toISOString();
  entry.append(
    time,
    makeElement('span', 'reply-route', button.textContent.trim()),
    makeElement('span', 'reply-file', file),
    makeElement('span', 'reply-status', '…'),
    makeElement('span', 'reply-text', 'waiting…'),
  );
  const log = byId('reply-log');
  log.prepend(entry);
  while (log.children.length > MAX_LOG_ENTRIES) log.lastElementChild.remove();
  return entry;
}

function finishLogEntry(entry, status, text, ok) {
  entry.dataset.state = ok ? 'ok' : 'error';
  const statusText = status === null ? 'no reply' : String(status);
  setText(entry.querySelector('.reply-status'), statusText);
  setText(entry.querySelector('.reply-text'), text || '(empty reply)');
}

function markButtonPending(button, change) {
  const count = Number(button.dataset.pending ?? 0) + change;
  button.dataset.pending = String(count);
  button.setAttribute('aria-busy', String(count > 0));
}

async function postCommand(route, file) {
  const url = `${route}?file=${encodeURIComponent(file)}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { Accept: 'text/plain' },
  });
  return { status: response.status, ok: response.ok, text: await response.text() };
}

/** Sends a button's request; others stay usable while it waits for its reply. */
async function runCommand(button) {
  const field = byId('file');
  const file = field.value.trim();
  if (!file) {
    field.reportValidity();
    return;
  }
  const entry = addLogEntry(button, file);
  markButtonPending(button, 1);
  poll.pendingRequests += 1;
  refresh();
  try {
    const reply = await postCommand(button.dataset.route, file);
    finishLogEntry(entry, reply.status, reply.text, reply.ok);
  } catch (error) {
    finishLogEntry(entry, null, `Request failed: ${errorText(error)}`, false);
  } finally {
    markButtonPending(button, -1);
    poll.pendingRequests -= 1;
    refresh();
  }
}

function onControlClick(event) {
  const button = event.target.closest('button[data-route]');
  if (button) runCommand(button);
}

// ---------------------------------------------------------------------------
// Start

function start() {
  const form = byId('controls');
  form.addEventListener('click', onControlClick);
  form.addEventListener('submit', (event) => event.preventDefault());
  for (const folder of FILE_FOLDERS) {
    byId(`files-${folder}`).addEventListener('click', pickFile);
  }
  refresh();
}

start();

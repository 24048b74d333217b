// Drives the page in static/ with Debian's Chromium against the service running
// in this process: the buttons, the reply log, the status panels and the files list.

import test, { type ExecutionContext } from 'ava';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { startTestService, type TestService } from './helpers/service.js';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// About two seconds per copy: long enough to pause one from the page.
const SLOW_COPIES = {
  sampleBytes: 2_000_000,
  rateLimit: 1_000_000,
  chunkBytes: 65_536,
};
const WAIT_MS = 20_000;
const FILE = 'dummy1.csv';

/** A page open on a fresh service, with every request URL it made. */
interface PageOnService {
  page: Page;
  service: TestService;
  requests: string[];
  pageErrors: string[];
}

/** The reply a button's request got, as the reply log shows it. */
interface Reply {
  status: string;
  text: string;
}

let browser: Browser | undefined;

test.before(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
});

test.after.always(async () => {
  await browser?.close();
});

/** Starts a service and opens the page on it; both are closed when the test ends. */
async function openPage(
  t: ExecutionContext,
  options: Parameters<typeof startTestService>[0] = {},
): Promise<PageOnService> {
  if (!browser) throw new Error('the browser did not start');
  const service = await startTestService(options);
  t.teardown(() => service.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const requests: string[] = [];
  const pageErrors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(service.url);
  return { page, service, requests, pageErrors };
}

/** Waits until an element's whole text is `text`. */
async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await page.locator(selector, { hasText: new RegExp(`^${escaped}$`) }).waitFor();
}

/** Clicks a route's button and returns its entry in the reply log. */
async function press(page: Page, route: string): Promise<string> {
  const before = await page.locator('#reply-log > li').count();
  await page.click(`button[data-route="${route}"]`);
  // Entries are added at the top, so counting from the bottom pins this one.
  const entry = `#reply-log > li:nth-last-child(${before + 1})`;
  await page.locator(`${entry}[data-route="${route}"]`).waitFor();
  return entry;
}

/** Waits for the request behind a log entry to be answered and reads the reply. */
async function replyOf(page: Page, entry: string): Promise<Reply> {
  await page.locator(`${entry}:not([data-state="pending"])`).waitFor();
  const read = (part: string) => textOf(page.locator(`${entry} ${part}`));
  return { status: await read('.reply-status'), text: await read('.reply-text') };
}

async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').trim();
}

function offOrigin(requests: string[], url: string): string[] {
  const origin = new URL(url).origin;
  return requests.filter((request) => new URL(request).origin !== origin);
}

test('the page loads with no request to any other host', async (t) => {
  const { page, service, requests, pageErrors } = await openPage(t);

  await page.locator(`#files-source button[data-file="${FILE}"]`).waitFor();
  await waitForText(page, '#upload-state', 'none');
  await waitForText(page, '#download-state', 'none');

  t.is(await page.locator('#file').inputValue(), FILE);
  const buttons = await page.locator('button[data-route]').all();
  const routes = await Promise.all(
    buttons.map((button) => button.getAttribute('data-route')),
  );
  t.deepEqual(routes, [
    '/upload',
    '/pause',
    '/resume',
    '/terminate',
    '/download',
    '/downloadPause',
    '/downloadResume',
    '/downloadTerminate',
  ]);
  t.is(await page.locator('#reply-log').getAttribute('aria-live'), 'polite');

  const paths = requests.map((request) => new URL(request).pathname);
  for (const expected of ['/', '/page.css', '/page.js', '/status', '/api/files']) {
    t.true(paths.includes(expected), `the page requested ${expected}`);
  }
  t.deepEqual(offOrigin(requests, service.url), []);
  t.deepEqual(pageErrors, []);
});

test('clicking a file name in the files list fills the file field', async (t) => {
  const { page } = await openPage(t);

  await page.fill('#file', 'other.csv');
  await page.click(`#files-source button[data-file="${FILE}"]`);

  t.is(await page.locator('#file').inputValue(), FILE);
});

test(
  'an upload paused and resumed from the page completes, downloads, and both ' +
    'copies equal the source',
  async (t) => {
    const { page, service, requests, pageErrors } = await openPage(t, SLOW_COPIES);
    const { folders } = service;
    await page.locator(`#files-source button[data-file="${FILE}"]`).waitFor();

    // Upload waits for the copy to settle, so its entry stays pending meanwhile.
    const upload = await press(page, '/upload');
    t.is(await textOf(page.locator(`${upload} .reply-text`)), 'waiting…');
    await waitForText(page, '#upload-state', 'running');
    await page.locator('#upload-percent', { hasText: /^[1-9]\d?%$/ }).waitFor();
    t.regex(await textOf(page.locator('#upload-bytes')), /^\d+\.\d\d \/ \d+\.\d\d MB$/);

    const pause = await press(page, '/pause');
    t.deepEqual(await replyOf(page, pause), { status: '200', text: 'Uploading Paused' });
    await waitForText(page, '#upload-state', 'paused');
    t.deepEqual(await replyOf(page, upload), { status: '202', text: 'Uploading Paused' });
    const pausedAt = Number.parseInt(await textOf(page.locator('#upload-percent')), 10);
    t.true(pausedAt < 100, `paused at ${pausedAt}%`);

    const resume = await press(page, '/resume');
    t.deepEqual(await replyOf(page, resume), {
      status: '200',
      text: 'Uploading Completed',
    });
    await waitForText(page, '#upload-state', 'completed');
    await waitForText(page, '#upload-percent', '100%');
    t.is(await page.locator('#upload-progress').getAttribute('value'), '100');

    const download = await press(page, '/download');
    t.deepEqual(await replyOf(page, download), {
      status: '200',
      text: 'Downloading Completed',
    });
    await waitForText(page, '#download-state', 'completed');
    await waitForText(page, '#download-percent', '100%');

    const idlePause = await press(page, '/pause');
    t.deepEqual(await replyOf(page, idlePause), {
      status: '409',
      text: 'Please Start Uploading First',
    });

    await page.locator(`#files-downloads button[data-file="${FILE}"]`).waitFor();
    const shots = await mkdtemp(path.join(os.tmpdir(), 'page-test-'));
    const screenshot = path.join(shots, 'page.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    t.log(`screenshot: ${screenshot}`);

    const read = (folder: string) => readFile(path.join(folder, FILE));
    const [source, uploaded, downloaded] = await Promise.all([
      read(folders.source),
      read(folders.uploads),
      read(folders.downloads),
    ]);
    t.true(source.length >= SLOW_COPIES.sampleBytes, `the source has ${source.length} B`);
    t.true(uploaded.equals(source), 'the upload equals the source byte for byte');
    t.true(downloaded.equals(source), 'the download equals the source byte for byte');

    t.deepEqual(offOrigin(requests, service.url), []);
    t.deepEqual(pageErrors, []);
  },
);

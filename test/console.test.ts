/**
 * The web console end to end, in real headless Chromium driven by playwright-core (issue 4):
 * sign-in, a streamed chat reply, stop, regenerate, edit-and-resend, rename, a broken stream,
 * usage charts whose totals match the ledger, the statement, tenants and keys (form validation and
 * the server's refusal text), a tenant's page (rate limit and credit set, kept after a reload, bad
 * input refused before sending; read-only for a tenant admin but for its keys' limits), the audit
 * log, the models page (memory estimates, compact "fits on" at phone width, a URL pull with its
 * progress bar, load, unload, a failed pull's error) and the fleet page (node, chart, accelerators)
 * for platform admins, a member kept out of operator pages, and a revoked key sent back to sign-in. Screenshots of every page at phone (390×844) and desktop (1440×900) size go to
 * test-artifacts/console/, and each layout is checked for horizontal overflow.
 *
 * The server is wired as main.ts wires it (real SQLite store, meter, gateway) on the fake engine,
 * with the console registered before it listens: `fake-model` answers fast, `slow-model` slowly
 * enough to be stopped. A ModelManager and LocalNode serve /api/models and /api/fleet as in main.ts,
 * loading models on the fake engine; a tiny local HTTP server offers a test GGUF to pull. Skips only when /usr/bin/chromium is missing (CI installs it).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { registerConsole } from '../src/api/console.js';
import { createFakeEngine } from '../src/engines/index.js';
import { LocalNode } from '../src/fleet/index.js';
import { ModelManager } from '../src/gateway/index.js';
import { createTestModel } from '../src/models/index.js';
import type { Store } from '../src/store/index.js';
import { openFakeStack } from './support/fake-stack.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'console', 'dist');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** fake-model prices: 1,000 micros per prompt token, 2,000 per completion token. */
const PRICE = { input_per_mtok: 1_000_000_000, output_per_mtok: 2_000_000_000 };

interface Harness {
  url: string;
  store: Store;
  app: FastifyInstance;
  /** Base URL of a local HTTP server with `/tiny-chat.gguf` (a test GGUF); other paths are 404. */
  filesUrl: string;
  close(): Promise<void>;
}

/** Serves `dir`'s files with a Content-Length, so a pull knows its total. */
async function serveFiles(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const name = (request.url ?? '/').slice(1);
    const notFound = () => void response.writeHead(404).end('not found');
    if (!/^[\w.-]+$/.test(name)) return notFound();
    stat(join(dir, name)).then((info) => {
      if (!info.isFile()) return notFound();
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': info.size });
      createReadStream(join(dir, name)).pipe(response);
    }, notFound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

async function startConsoleServer(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-console-'));
  const now = () => new Date();
  const stack = await openFakeStack({
    file: join(dir, 'db.sqlite'),
    now,
    metering: true,
    engines: [
      { name: 'fake-model', slots: 4, tokenDelayMs: 25 },
      { name: 'slow-model', slots: 2, tokenDelayMs: 250 },
    ],
  });
  const { store, router } = stack;
  // As main.ts wires them, with loads on the fake engine (no llama.cpp needed).
  const models = new ModelManager({
    modelsDir: join(dir, 'models'), router, contextSize: 4096, parallel: 2, now,
    createEngine: async (decl) => createFakeEngine({ name: decl.name, slots: 2, tokenDelayMs: 25 }),
  });
  await mkdir(join(dir, 'models'), { recursive: true });
  const node = new LocalNode();
  for (let i = 5; i >= 0; i--) node.sample(new Date(Date.now() - i * 5000));
  await mkdir(join(dir, 'files'), { recursive: true });
  await createTestModel(join(dir, 'files', 'tiny-chat.gguf'), { size: 'tiny' });
  const files = await serveFiles(join(dir, 'files'));
  const { app, url } = await stack.serve({ models, node, bodyLimit: 1024 * 1024 }, (server) => registerConsole(server, DIST));
  return {
    url, store, app, filesUrl: files.url,
    async close() {
      await new Promise((resolve) => files.server.close(resolve));
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `npm run build` builds the console; a direct run of this file builds it when it is missing. */
function ensureConsoleBuilt(): void {
  if (existsSync(join(DIST, 'index.html'))) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'console', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
}

/** The console's own money format (format.ts), for comparing with what the page shows. */
function money(micros: number): string {
  const units = micros / 1_000_000;
  const digits = Math.abs(units) >= 1 || units === 0 ? 2 : Math.abs(units) >= 0.01 ? 4 : 6;
  return units.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

async function signIn(page: Page, url: string, secret: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('API key').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('whoami').waitFor();
}

/** Screenshots `name` at phone and desktop size and checks neither layout scrolls sideways. */
async function capture(page: Page, name: string): Promise<void> {
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150); // the chart redraws at the new width (ResizeObserver)
    // A string, not a function: the root tsconfig has no DOM types.
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    assert.ok(overflow <= 0, `${name} at ${size.width}×${size.height} overflows sideways by ${overflow}px`);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${size.width}x${size.height}.png`), fullPage: true });
  }
}

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the console tests`;

describe('web console in headless Chromium', { skip, timeout: 240_000 }, () => {
  let server: Harness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const keys = { admin: '', tenantAdmin: '', member: '', tenantId: '' };

  const api = async <T>(method: string, path: string, secret: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };

  before(async () => {
    ensureConsoleBuilt();
    await mkdir(ARTIFACTS, { recursive: true });
    server = await startConsoleServer();
    // Through the API, as an operator would: the meter reloads tenants and keys on each change.
    keys.admin = (await server.store.keys.create({ name: 'root', role: 'admin' })).secret;
    const tenant = await api<{ id: string }>('POST', '/api/tenants', keys.admin, { name: 'acme', kind: 'external', monthly_limit_micros: 50_000_000 });
    keys.tenantId = tenant.id;
    const newKey = async (name: string, role: string) => (await api<{ secret: string }>('POST', '/api/keys', keys.admin, { name, role, tenant_id: tenant.id })).secret;
    keys.tenantAdmin = await newKey('acme-admin', 'tenant_admin');
    keys.member = await newKey('alice', 'member');
    await api('POST', '/api/prices/models', keys.admin, { model: 'fake-model', ...PRICE });
    // Usage by another key of the tenant, so the chart by key has two bars.
    const other = await newKey('batch', 'member');
    for (const words of ['one two three', 'four five']) {
      await api('POST', '/v1/chat/completions', other, { model: 'fake-model', messages: [{ role: 'user', content: words }], max_tokens: 5 });
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: DESKTOP });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves the app at / with client-side routes, cached assets and API 404s left to the API', async () => {
    const index = await fetch(`${server.url}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'index.html names its script');
    const js = await fetch(`${server.url}${asset}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${server.url}${asset}`, { headers: { 'if-none-match': js.headers.get('etag')! } })).status, 304);
    const route = await fetch(`${server.url}/chat/some-id`);
    assert.equal(route.status, 200);
    assert.equal(await route.text(), html);
    assert.equal((await fetch(`${server.url}/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${server.url}/%2e%2e/package.json`)).status, 404);
    const apiMiss = await fetch(`${server.url}/api/nothing-here`);
    assert.equal(apiMiss.status, 404);
    assert.equal(((await apiMiss.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  it('refuses a wrong key on the sign-in page with the server’s message', async () => {
    await page.goto(`${server.url}/`);
    await capture(page, 'signin');
    await page.getByLabel('API key').fill('sk-tess-wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.getByTestId('signin-error');
    await error.waitFor();
    assert.match(await error.innerText(), /not valid|revoked/i);
  });

  it('streams a chat reply as Markdown with tokens and cost, and stores the sampling settings', async () => {
    await signIn(page, server.url, keys.member);
    assert.equal(new URL(page.url()).pathname, '/chat');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Max tokens').fill('0');
    await page.getByLabel('Temperature').click();
    assert.match(await page.getByRole('alert').first().innerText(), /Max tokens must be a whole number from 1/);
    await page.getByLabel('Max tokens').fill('12');
    await page.getByLabel('System prompt').fill('Answer briefly.');
    await page.getByLabel('Temperature').fill('0.5');
    await page.getByLabel('Message').click(); // leaving the fields saves them
    await page.getByRole('button', { name: 'Settings' }).click();

    await page.getByLabel('Message').fill('Hello there, console');
    await page.keyboard.press('Enter');
    const streaming = page.getByTestId('message-streaming');
    await streaming.getByText(/alpha|bravo|charlie|delta|echo|foxtrot|golf|hotel|india|juliet|kilo|lima/).first().waitFor();
    const reply = page.getByTestId('message-assistant').last();
    await reply.getByTestId('reply-usage').waitFor();
    assert.equal((await reply.locator('.markdown').innerText()).trim().split(/\s+/).length, 12);
    // 2 system + 3 user words in, 12 out, priced from the ledger by the server.
    assert.equal(await reply.getByTestId('reply-usage').innerText(), `fake-model · 5 in · 12 out · cost ${money(5 * 1000 + 12 * 2000)}`);

    const list = await api<{ data: Array<{ id: string; title: string; settings: unknown; system_prompt: string; model: string }> }>('GET', '/api/conversations', keys.member);
    assert.equal(list.data.length, 1);
    assert.equal(list.data[0].title, 'Hello there, console');
    assert.deepEqual(list.data[0].settings, { temperature: 0.5, max_tokens: 12 });
    assert.equal(list.data[0].system_prompt, 'Answer briefly.');
    assert.equal(new URL(page.url()).pathname, `/chat/${list.data[0].id}`);
    await capture(page, 'chat');
  });

  it('regenerates the last reply and edits-and-resends a message', async () => {
    /** Runs `action` and waits for the reply it starts to stream and be saved. */
    const replyTo = async (action: () => Promise<void>) => {
      await action();
      await page.getByTestId('message-streaming').waitFor({ state: 'attached' });
      await page.getByTestId('message-streaming').waitFor({ state: 'detached' });
      await page.getByTestId('message-assistant').getByTestId('reply-usage').waitFor();
    };
    await replyTo(() => page.getByRole('button', { name: 'Regenerate' }).click());
    assert.equal(await page.getByTestId('message-assistant').count(), 1);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Edit message').fill('A different question');
    await replyTo(() => page.getByRole('button', { name: 'Send', exact: true }).first().click());
    assert.equal(await page.getByTestId('message-user').innerText().then((t) => t.split('\n')[0]), 'A different question');
    const id = new URL(page.url()).pathname.split('/').pop()!;
    const saved = await api<{ messages: Array<{ role: string; content: string; usage: unknown }> }>('GET', `/api/conversations/${id}`, keys.member);
    assert.deepEqual(saved.messages.map((m) => m.role), ['user', 'assistant']);
    assert.equal(saved.messages[0].content, 'A different question');
    assert.ok(saved.messages[1].usage, 'the regenerated reply has its ledger usage');
  });

  it('stops a streaming reply and keeps what arrived', async () => {
    await page.getByRole('button', { name: '+ New chat' }).click();
    await page.getByLabel('Model').selectOption('slow-model');
    await page.getByLabel('Message').fill('Tell me a long story');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('message-streaming').getByText(/\w+ \w+/).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByTestId('reply-stopped').waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    const kept = (await page.getByTestId('message-assistant').last().locator('.markdown').innerText()).trim();
    const words = kept.split(/\s+/).length;
    assert.ok(words >= 2 && words < 16, `kept ${words} words: ${kept}`);
    const list = await api<{ data: Array<{ id: string; model: string }> }>('GET', '/api/conversations', keys.member);
    const stopped = list.data.find((c) => c.model === 'slow-model')!;
    const saved = await api<{ messages: Array<{ content: string }> }>('GET', `/api/conversations/${stopped.id}`, keys.member);
    assert.equal(saved.messages.at(-1)?.content.trim(), kept);
  });

  it('shows an error when a stream breaks and keeps the text that arrived', async () => {
    await page.route('**/v1/chat/completions', (route) =>
      route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream', 'x-request-id': 'chatcmpl-broken' },
        body:
          'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}\n\n' +
          'data: {"choices":[{"delta":{"content":"Partial answer "}}]}\n\n' +
          'data: {"choices":[{"delta":{"content":"before the break"}}]}\n\n' +
          'data: {"error":{"message":"The engine crashed.","type":"server_error","code":"engine_error"}}\n\n',
      }),
    );
    await page.getByLabel('Message').fill('This one breaks');
    await page.getByRole('button', { name: 'Send' }).click();
    const error = page.getByTestId('reply-error');
    await error.waitFor();
    assert.match(await error.innerText(), /The engine crashed\. What arrived before is kept\./);
    assert.equal((await page.getByTestId('message-assistant').last().innerText()).split('\n')[0], 'Partial answer before the break');
    await page.unroute('**/v1/chat/completions');
  });

  it('renames and deletes conversations from the sidebar', async () => {
    const first = (await api<{ data: Array<{ id: string; title: string }> }>('GET', '/api/conversations', keys.member)).data.find((c) => c.title === 'Hello there, console')!;
    await page.getByRole('button', { name: 'Rename Hello there, console' }).click();
    await page.getByLabel('New title').fill('Renamed chat');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('link', { name: 'Renamed chat' }).waitFor();
    const titles = (await api<{ data: Array<{ id: string; title: string }> }>('GET', '/api/conversations', keys.member)).data;
    assert.equal(titles.find((c) => c.id === first.id)?.title, 'Renamed chat');

    await page.getByRole('link', { name: 'Renamed chat' }).click();
    await page.getByTestId('chat-title').getByText('Renamed chat').waitFor();
    const count = titles.length;
    await page.getByRole('button', { name: 'Delete Tell me a long story' }).click();
    await page.getByRole('button', { name: 'Yes' }).click();
    await page.getByRole('link', { name: 'Tell me a long story' }).waitFor({ state: 'detached' });
    assert.equal((await api<{ data: unknown[] }>('GET', '/api/conversations', keys.member)).data.length, count - 1);
  });

  it('marks test models with random weights and starts new chats on a real model', async () => {
    const models = {
      object: 'list',
      data: [
        { id: 'tiny-random', object: 'model', tessera: { engine: 'llama', device: 'cpu', context_length: 512, random_weights: true, note: 'Test model with random weights: its output is noise.' } },
        { id: 'fake-model', object: 'model', tessera: { engine: 'fake', device: 'cpu', context_length: 4096, random_weights: false } },
      ],
    };
    await page.route('**/v1/models', (route) => route.fulfill({ json: models }));
    await page.goto(`${server.url}/chat`);
    const picker = page.getByLabel('Model');
    await picker.getByText('tiny-random (random weights — test only)').waitFor({ state: 'attached' });
    assert.equal(await picker.inputValue(), 'fake-model');
    assert.equal(await page.getByTestId('random-weights').count(), 0);
    await picker.selectOption('tiny-random');
    assert.match(await page.getByTestId('random-weights').innerText(), /random weights: its output is noise/);
    await page.unroute('**/v1/models');
  });

  it('works at phone width: the list is a drawer and the composer stays on screen', async () => {
    await page.setViewportSize(PHONE);
    const sidebar = page.getByRole('complementary', { name: 'Conversations' });
    assert.equal(await sidebar.isVisible(), false);
    await page.getByRole('button', { name: 'Conversations' }).click();
    await sidebar.waitFor({ state: 'visible' });
    await page.waitForTimeout(300); // the drawer slides in
    await page.screenshot({ path: join(ARTIFACTS, 'chat-drawer-390x844.png') });
    await page.getByRole('link', { name: 'Renamed chat' }).click();
    await sidebar.waitFor({ state: 'hidden' });
    const box = await page.getByLabel('Message').boundingBox();
    assert.ok(box && box.y + box.height <= PHONE.height && box.x >= 0 && box.x + box.width <= PHONE.width, `composer at ${JSON.stringify(box)}`);
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.screenshot({ path: join(ARTIFACTS, 'menu-390x844.png') });
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.setViewportSize(DESKTOP);
  });

  it('keeps a member out of operator pages, also by URL', async () => {
    const nav = page.getByRole('navigation', { name: 'Pages' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Chat']);
    for (const path of ['/usage', '/tenants', '/keys', '/audit', `/tenants/${keys.tenantId}`, '/models', '/fleet']) {
      await page.goto(`${server.url}${path}`);
      await page.getByTestId('forbidden').waitFor();
      assert.equal(await page.getByTestId('usage-chart').count(), 0);
      assert.equal(await page.getByRole('heading', { level: 1 }).count(), 0);
    }
    await capture(page, 'forbidden');
    // The API refuses it too, whatever the console shows.
    const audit = await fetch(`${server.url}/api/audit`, { headers: { authorization: `Bearer ${keys.member}` } });
    assert.equal(audit.status, 403);
  });

  it('shows usage by day, model and key with totals equal to the ledger, the statement, and CSV', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, server.url, keys.tenantAdmin);
    // Models and fleet are for platform admins only, by link and by URL.
    const nav = page.getByRole('navigation', { name: 'Pages' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Chat', 'Usage & bills', 'Tenants', 'Keys', 'Audit']);
    await page.goto(`${server.url}/models`);
    await page.getByTestId('forbidden').waitFor();
    assert.equal(await page.getByTestId('models-table').count(), 0);
    await page.getByRole('link', { name: 'Usage & bills' }).click();
    const ledger = (await server.store.billing.ledger({ tenantId: keys.tenantId })).filter((e) => e.kind === 'usage');
    const spend = ledger.reduce((s, e) => s + e.amountMicros, 0);
    const tokens = ledger.reduce((s, e) => s + e.promptTokens + e.completionTokens, 0);
    assert.ok(spend > 0 && ledger.length >= 5, `ledger: ${ledger.length} entries, ${spend} micros`);

    await page.getByTestId('usage-chart').waitFor();
    await page.getByTestId('total-spend').getByText(money(spend), { exact: true }).waitFor();
    assert.equal(await page.getByTestId('total-tokens').innerText(), tokens.toLocaleString('en-US'));
    assert.equal(await page.getByTestId('total-requests').innerText(), String(ledger.length));
    const bars = async (attribute: string) => Promise.all((await page.locator('rect.bar').all()).map(async (bar) => Number(await bar.getAttribute(attribute))));
    const barSum = async () => (await bars('data-value')).reduce((a, b) => a + b, 0);
    assert.equal(await page.locator('rect.bar').count(), 14, 'one bar per day of the default two weeks');
    assert.equal(await barSum(), spend);
    assert.ok((await bars('height')).some((h) => h > 50), 'a bar is drawn');
    await page.getByTestId('statement-total').getByText(money(spend), { exact: true }).waitFor();
    await capture(page, 'usage');

    await page.getByLabel('Group by').selectOption('key');
    await page.locator('rect.bar[data-label="alice"]').waitFor();
    assert.equal(await page.locator('rect.bar').count(), 2);
    assert.equal(await barSum(), spend);
    await page.getByLabel('Metric').selectOption('tokens');
    await page.getByLabel('Group by').selectOption('model');
    await page.locator('rect.bar[data-label="fake-model"]').waitFor();
    assert.equal(await barSum(), tokens);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('statement').getByRole('button', { name: 'Download CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^statement-acme-\d{4}-\d{2}\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    assert.match(csv, /^section,group,name,/);
    assert.match(csv, new RegExp(`\\r\\ntotal,,,,,0,0,0,0,0,0,${spend}\\r\\n`));
  });

  it('lists tenants with budgets and creates and revokes keys, validating first and showing refusals', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, server.url, keys.admin);
    await page.getByRole('link', { name: 'Tenants' }).click();
    const acme = page.getByTestId('tenants-table').getByRole('row').filter({ hasText: 'acme' });
    await acme.waitFor();
    assert.match(await acme.innerText(), /50\.00 \(hard\)/);
    await capture(page, 'tenants');

    await acme.getByRole('link', { name: 'Keys' }).click();
    const table = page.getByTestId('keys-table');
    await table.getByText('alice').waitFor();
    const form = page.getByRole('form', { name: 'Create key' });
    let posted = 0;
    page.on('request', (r) => void (r.method() === 'POST' && r.url().endsWith('/api/keys') && posted++));
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.getByText('A key needs a name.').waitFor();
    await form.getByLabel('Name').fill('ci');
    await form.getByLabel('Requests per minute (optional)').fill('-3');
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.getByText('Requests per minute is a whole number above 0.').waitFor();
    assert.equal(posted, 0, 'invalid forms are not sent');

    await form.getByLabel('Requests per minute (optional)').fill('');
    await form.getByLabel('Role').selectOption('admin');
    await form.getByRole('button', { name: 'Create key' }).click();
    await page.getByTestId('key-refused').getByText("Admin keys belong to the 'platform' tenant").waitFor();
    assert.equal(posted, 1);

    await form.getByLabel('Name').fill('ci');
    await form.getByLabel('Role').selectOption('member');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByTestId('new-secret').innerText();
    assert.match(secret, /^sk-tess-/);
    await table.getByText('ci', { exact: true }).waitFor();
    await capture(page, 'keys');
    await table.getByRole('button', { name: 'Revoke ci' }).click();
    await table.getByRole('button', { name: 'Revoke', exact: true }).click();
    await table.getByRole('row').filter({ has: page.getByText('ci', { exact: true }) }).getByText('revoked').waitFor();
    const refused = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(refused.status, 401);
  });

  it('sets a tenant rate limit and a credit on the tenant page; both show after a reload and through the API', async () => {
    // Signed in as the platform admin by the test before.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Tenants' }).click();
    await page.getByTestId('tenants-table').getByRole('row').filter({ hasText: 'acme' }).getByRole('link', { name: 'Manage' }).click();
    await page.getByRole('heading', { level: 1, name: /acme/ }).waitFor();
    const before = await api<{ balance_micros: number }>('GET', `/api/tenants/${keys.tenantId}/budget`, keys.admin);
    await page.getByTestId('no-rate-limits').waitFor();

    const limits = page.getByRole('form', { name: 'Set a rate limit' });
    assert.equal(await limits.getByLabel('Applies to').inputValue(), 'tenant');
    await limits.getByLabel('Requests per minute').fill('600');
    await limits.getByLabel('Tokens per minute').fill('90000');
    await limits.getByRole('button', { name: 'Set limit' }).click();
    assert.match(await page.getByTestId('rate-limit-done').innerText(), /Tenant acme, 600 requests\/min and 90,000 tokens\/min on every model/);

    const credit = page.getByRole('form', { name: 'Add credit' });
    await credit.getByLabel('Amount').fill('20.5');
    await credit.getByLabel('Note (optional)').fill('PO 1234');
    await credit.getByRole('button', { name: 'Add credit' }).click();
    await credit.getByTestId('credit-done').waitFor();

    await page.reload();
    const row = page.locator('[data-testid="rate-limit"][data-scope="tenant"]');
    await row.waitFor();
    assert.equal(await row.getByTestId('rpm').innerText(), '600');
    assert.equal(await row.getByTestId('tpm').innerText(), '90,000');
    await page.getByTestId('budget-balance').getByText(money(before.balance_micros + 20_500_000), { exact: true }).waitFor();

    const saved = await api<{ data: unknown[] }>('GET', `/api/tenants/${keys.tenantId}/rate-limits`, keys.admin);
    assert.deepEqual(saved.data, [{ object: 'rate_limit', scope: 'tenant', scope_id: keys.tenantId, model: null, rpm: 600, tpm: 90_000 }]);
    const after = await api<{ balance_micros: number }>('GET', `/api/tenants/${keys.tenantId}/budget`, keys.admin);
    assert.equal(after.balance_micros, before.balance_micros + 20_500_000);
    await capture(page, 'tenant');
  });

  it('checks the tenant forms before sending: bad input shows its error and sends nothing; a refusal shows the server’s text', async () => {
    let sent = 0;
    const onRequest = (r: { method(): string; url(): string }) => void (r.method() !== 'GET' && new URL(r.url()).pathname.startsWith('/api/') && sent++);
    page.on('request', onRequest);
    try {
      const credit = page.getByRole('form', { name: 'Add credit' });
      await credit.getByLabel('Amount').fill('-5');
      await credit.getByRole('button', { name: 'Add credit' }).click();
      await credit.getByText('A credit is an amount above 0 (up to 6 decimals).').waitFor();
      const limits = page.getByRole('form', { name: 'Set a rate limit' });
      await limits.getByLabel('Requests per minute').fill('1.5');
      await limits.getByRole('button', { name: 'Set limit' }).click();
      await limits.getByText('Requests per minute is a whole number above 0.').waitFor();
      const monthly = page.getByRole('form', { name: 'Monthly limit' });
      await monthly.getByLabel('Limit per month (blank = none)').fill('-1');
      await monthly.getByRole('button', { name: 'Save limit' }).click();
      await monthly.getByText(/The monthly limit is an amount of 0 or more/).waitFor();
      const grant = page.getByRole('form', { name: 'Grant an allowance' });
      await grant.getByLabel('Model').fill('fake-model');
      await grant.getByLabel('Tokens').fill('0');
      await grant.getByRole('button', { name: 'Grant' }).click();
      await grant.getByText('Tokens is a whole number above 0.').waitFor();
      await grant.getByText('Pick when the allowance expires.').waitFor();
      await capture(page, 'tenant-invalid');
      assert.equal(sent, 0, 'invalid forms are not sent');

      // What the server refuses is shown in its own words (a refusal the form cannot foresee).
      const refusal = { error: { message: 'Credits are frozen while the books close.', type: 'invalid_request_error', code: 'invalid_request', param: null } };
      await page.route('**/api/tenants/*/credits', (route) => route.fulfill({ status: 400, json: refusal }));
      await credit.getByLabel('Amount').fill('1');
      await credit.getByRole('button', { name: 'Add credit' }).click();
      assert.equal(await credit.getByTestId('credit-refused').innerText(), 'The server refused the credit: Credits are frozen while the books close.');
      assert.equal(sent, 1);
      await page.unroute('**/api/tenants/*/credits');
    } finally {
      page.off('request', onRequest);
    }
  });

  it('lists the actions just made on the Audit page, newest first, with before and after on expand', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Audit' }).click();
    const entries = page.getByTestId('audit-entry');
    await entries.first().waitFor();
    const latest = (await api<{ data: Array<{ id: string; action: string }> }>('GET', '/api/audit?limit=2', keys.admin)).data;
    assert.deepEqual(latest.map((e) => e.action), ['tenant.credit', 'tenant.rate_limit.set']);
    assert.equal(await entries.nth(0).getAttribute('data-action'), 'tenant.credit');
    assert.equal(await entries.nth(1).getAttribute('data-action'), 'tenant.rate_limit.set');
    assert.match(await entries.nth(0).innerText(), /root/);
    assert.match(await entries.nth(0).getByTestId('audit-change').innerText(), /→ .*; amount 20\.50; note PO 1234/);
    assert.equal(await entries.nth(1).getByTestId('audit-change').innerText(), 'rpm 600; tpm 90,000');
    assert.match(await entries.nth(1).innerText(), /tenant acme/);

    await entries.nth(0).getByRole('button', { name: 'Show before and after of tenant.credit' }).click();
    const detail = page.getByTestId('audit-detail');
    assert.match(await detail.innerText(), /"note": "PO 1234"/);
    assert.match(await detail.innerText(), new RegExp(`Entry ${latest[0].id}`));
    await capture(page, 'audit');
    await entries.nth(0).getByRole('button', { name: 'Hide before and after of tenant.credit' }).click();
    await detail.waitFor({ state: 'detached' });

    // A hundred more changes (on a tenant of their own) fill the first page; older ones page in.
    const other = await api<{ id: string }>('POST', '/api/tenants', keys.admin, { name: 'paging', kind: 'internal' });
    for (let rpm = 1; rpm <= 100; rpm++) await api('PUT', `/api/tenants/${other.id}/rate-limits`, keys.admin, { rpm, tpm: null });
    await page.reload();
    await entries.nth(99).waitFor();
    assert.equal(await entries.count(), 100);
    assert.match(await entries.nth(0).getByTestId('audit-change').innerText(), /rpm .*100$/);
    await page.getByRole('button', { name: 'Show older entries' }).click();
    await entries.nth(100).waitFor();
    const total = (await api<{ data: unknown[] }>('GET', '/api/audit?limit=1000', keys.admin)).data.length;
    assert.equal(await entries.count(), Math.min(total, 200));
    assert.equal(await entries.nth(100).getAttribute('data-action'), 'tenant.create', 'the page after the 100 changes starts with the tenant they were made on');
  });

  it('lists models with memory estimates, pulls a URL with a live bar, loads it, and shows a failed pull', async () => {
    // Signed in as the platform admin by the test before.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Models' }).click();
    const table = page.getByTestId('models-table');
    const row = (name: string) => table.locator(`tr[data-model="${name}"]`);
    await row('fake-model').getByTestId('model-status').getByText('ready').waitFor();
    assert.ok((await page.getByTestId('catalog-table').getByRole('row').count()) > 1, 'the catalog is listed');

    const form = page.getByRole('form', { name: 'Pull a model' });
    await form.getByLabel('Catalog name or URL').fill(`${server.filesUrl}/tiny-chat.gguf`);
    await form.getByRole('button', { name: 'Pull' }).click();
    await form.locator('[data-testid="pull-job"][data-status="done"]').waitFor();
    assert.equal(await form.getByRole('progressbar').getAttribute('aria-valuenow'), '100');
    assert.match(await form.getByTestId('pull-status').innerText(), /done · .* \(100%\)/);
    await row('tiny-chat').getByTestId('model-status').getByText('installed').waitFor();

    await row('tiny-chat').getByRole('button', { name: 'Load tiny-chat' }).click();
    await row('tiny-chat').getByTestId('model-status').getByText('ready').waitFor();
    const memory = await row('tiny-chat').getByTestId('model-memory').innerText();
    assert.match(memory, /^\d+(\.\d)? (KiB|MiB|GiB)$/, `memory estimate: ${memory}`);
    const fits = row('tiny-chat').getByTestId('fits-on');
    assert.match(await fits.locator('summary').innerText(), /^fits \d+ of \d+ chips$/);
    assert.ok(Number(await fits.getAttribute('data-count')) > 0, 'a tiny model fits on every chip');
    assert.match(await row('tiny-chat').innerText(), /cpu/);
    const listed = await api<{ data: Array<{ name: string; status: string; memory: { totalBytes: number } | null }> }>('GET', '/api/models', keys.admin);
    assert.equal(listed.data.find((m) => m.name === 'tiny-chat')?.status, 'ready');
    // At phone width each catalog row says which chips fit in one short line, not a wall of badges.
    await page.setViewportSize(PHONE);
    const catalogFits = page.getByTestId('catalog-table').getByTestId('fits-on');
    for (const box of await Promise.all((await catalogFits.all()).map((f) => f.boundingBox()))) {
      assert.ok(box && box.height < 32, `a catalog row's "fits on" is ${box?.height}px high`);
    }
    await catalogFits.first().locator('summary').click();
    assert.ok((await catalogFits.first().locator('.badge').first().isVisible()), 'opening it lists the chips');
    await catalogFits.first().locator('summary').click();
    await page.setViewportSize(DESKTOP);
    await capture(page, 'models');

    await form.getByLabel('Catalog name or URL').fill(`${server.filesUrl}/missing.gguf`);
    await form.getByRole('button', { name: 'Pull' }).click();
    await form.locator('[data-testid="pull-job"][data-status="failed"]').waitFor();
    assert.match(await form.getByTestId('pull-failed').innerText(), /Download failed: .*HTTP 404/);
  });

  it('shows the fleet: the node, a CPU and memory chart, and the models on each device', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Fleet' }).click();
    const node = page.getByTestId('fleet-node');
    await node.getByRole('heading', { name: hostname() }).waitFor();
    assert.ok(Number(await node.getByTestId('node-cpus').innerText()) >= 1);
    const chart = node.getByTestId('fleet-chart');
    await chart.waitFor();
    assert.ok(Number(await chart.getAttribute('data-points')) >= 6);
    assert.match((await chart.getByTestId('line-cpu').getAttribute('d')) ?? '', /^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+){5,}/);
    assert.match((await chart.getByTestId('line-memory').getAttribute('d')) ?? '', /^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+){5,}/);
    const cpuRow = node.getByTestId('accelerators-table').getByRole('row').filter({ hasText: 'cpu' });
    assert.match(await cpuRow.innerText(), /fake-model \(fake\).*tiny-chat/s);
    await capture(page, 'fleet');
  });

  it('unloads a loaded model from the Models page', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Models' }).click();
    const row = page.getByTestId('models-table').locator('tr[data-model="tiny-chat"]');
    await row.getByTestId('model-status').getByText('ready').waitFor();
    await row.getByRole('button', { name: 'Unload tiny-chat' }).click();
    await row.getByTestId('model-status').getByText('installed').waitFor();
    await row.getByRole('button', { name: 'Load tiny-chat' }).waitFor();
    const listed = await api<{ data: Array<{ name: string; status: string }> }>('GET', '/api/models', keys.admin);
    assert.equal(listed.data.find((m) => m.name === 'tiny-chat')?.status, 'installed');
    const served = await api<{ data: Array<{ id: string }> }>('GET', '/v1/models', keys.admin);
    assert.ok(!served.data.some((m) => m.id === 'tiny-chat'), 'an unloaded model is no longer served');
  });

  it('shows a tenant admin its tenant read-only but for its keys’ limits, and only its tenant’s audit entries', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, server.url, keys.tenantAdmin);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Tenants' }).click();
    await page.getByTestId('tenants-table').getByRole('link', { name: 'Limits' }).click();
    await page.getByTestId('read-only').waitFor();
    const tenantRow = page.locator('[data-testid="rate-limit"][data-scope="tenant"]');
    assert.equal(await tenantRow.getByTestId('rpm').innerText(), '600');
    assert.equal(await tenantRow.getByRole('button').count(), 0, 'no edit controls on what the API refuses');
    for (const name of ['Monthly limit', 'Add credit', 'Grant an allowance']) assert.equal(await page.getByRole('form', { name }).count(), 0, name);
    const limits = page.getByRole('form', { name: 'Set a rate limit' });
    assert.ok((await limits.getByLabel('Applies to').locator('option').allInnerTexts()).every((o) => o.startsWith('Key ')));
    await limits.getByLabel('Applies to').selectOption({ label: 'Key alice' });
    await limits.getByLabel('Requests per minute').fill('30');
    await limits.getByRole('button', { name: 'Set limit' }).click();
    const keyRow = page.getByTestId('rate-limit').filter({ hasText: 'Key alice' });
    assert.equal(await keyRow.getByTestId('rpm').innerText(), '30');
    await capture(page, 'tenant-read-only');

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Audit' }).click();
    await page.locator('[data-testid="audit-entry"][data-action="key.rate_limit.set"]').waitFor();
    const actions = await Promise.all((await page.getByTestId('audit-entry').all()).map((r) => r.getAttribute('data-action')));
    assert.ok(actions.includes('tenant.credit') && !actions.includes('price.model.create'), `a tenant admin sees ${actions.join(', ')}`);
    const own = await api<{ data: Array<{ tenant_id: string }> }>('GET', '/api/audit', keys.tenantAdmin);
    assert.equal(actions.length, own.data.length);
    assert.ok(own.data.every((e) => e.tenant_id === keys.tenantId));
  });

  it('sends a session whose key is revoked back to sign-in with a clear message', async () => {
    const { id, secret } = await api<{ id: string; secret: string }>('POST', '/api/keys', keys.admin, { name: 'short-lived', role: 'tenant_admin', tenant_id: keys.tenantId });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, server.url, secret);
    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByTestId('tenants-table').getByText('acme', { exact: true }).waitFor();
    await api('DELETE', `/api/keys/${id}`, keys.admin);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Keys' }).click();
    const message = page.getByTestId('signin-message');
    await message.waitFor();
    assert.match(await message.innerText(), /Your API key was refused: .*Sign in with a valid key\./);
    await page.reload();
    assert.equal(await page.getByTestId('whoami').count(), 0, 'the refused key is forgotten');
    await page.getByLabel('API key').waitFor();
  });
});

/**
 * The admin API as a platform admin uses it (issue 5): tenants and limits, credits, rate limits,
 * allowances, the price book, usage and statements (JSON and CSV agree, and equal the ledger),
 * the audit log, bad input refused with clear codes. Changes take effect on the next request.
 * The CLI commands are run in-process against the same server at the end.
 */
import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../src/cli/index.js';
import { startAdminServer, type AdminServer } from './support/admin-server.js';

type Json = Record<string, unknown>;

describe('admin API', () => {
  let s: AdminServer;
  const inAnHour = () => new Date(s.now().getTime() + 3_600_000).toISOString();

  before(async () => {
    s = await startAdminServer();
    assert.equal((await s.call('POST', '/api/prices/models', s.admin, { model: 'fake', input_per_mtok: 1_000_000, output_per_mtok: 2_000_000 })).status, 201);
  });

  after(async () => {
    await s?.close();
  });

  const expectError = async (method: string, path: string, body: unknown, status: number, code: string, param?: string | null) => {
    const r = await s.call(method, path, s.admin, body);
    assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.body.error?.code, code, `${method} ${path}: ${r.text}`);
    if (param !== undefined) assert.equal(r.body.error?.param, param, `${method} ${path}: ${r.text}`);
    assert.ok((r.body.error?.message.length ?? 0) > 10);
    return r.body.error!;
  };

  async function tenantWithKeys(name: string, extra: Json = {}) {
    const t = await s.call<{ id: string }>('POST', '/api/tenants', s.admin, { name, kind: 'internal', ...extra });
    assert.equal(t.status, 201, t.text);
    const key = async (keyName: string) => (await s.call<{ id: string; secret: string }>('POST', '/api/keys', s.admin, { name: keyName, role: 'member', tenant_id: t.body.id })).body;
    return { id: t.body.id, k1: await key(`${name}-1`), k2: await key(`${name}-2`) };
  }

  it('tells a key who it is: /api/me', async () => {
    const t = await tenantWithKeys('whoami');
    const me = await s.call<{ key: { id: string; role: string; tenant_id: string }; tenant: { name: string } }>('GET', '/api/me', t.k1.secret);
    assert.equal(me.status, 200, me.text);
    assert.deepEqual([me.body.key.id, me.body.key.role, me.body.key.tenant_id, me.body.tenant.name], [t.k1.id, 'member', t.id, 'whoami']);
    assert.ok(!me.text.includes(t.k1.secret.slice(12)), 'the secret is never echoed');
  });

  it('creates, lists, shows and changes tenants, auditing before and after', async () => {
    const t = await s.call<Json>('POST', '/api/tenants', s.admin, { name: 'acme', kind: 'external', monthly_limit_micros: 1_000_000, limit_mode: 'soft' });
    assert.equal(t.status, 201);
    assert.deepEqual({ ...t.body, id: 0, created_at: 0 }, { id: 0, object: 'tenant', name: 'acme', kind: 'external', monthly_limit_micros: 1_000_000, limit_mode: 'soft', prepaid: false, created_at: 0 });
    const list = await s.call<{ data: Array<{ name: string }> }>('GET', '/api/tenants', s.admin);
    assert.ok(list.body.data.some((x) => x.name === 'platform') && list.body.data.some((x) => x.name === 'acme'));
    assert.equal((await s.call<Json>('GET', '/api/tenants/acme', s.admin)).body.id, t.body.id);

    const patched = await s.call<Json>('PATCH', `/api/tenants/${t.body.id}`, s.admin, { monthly_limit_micros: 5_000_000, limit_mode: 'hard' });
    assert.equal(patched.body.monthly_limit_micros, 5_000_000);
    const audit = await s.call<{ data: Array<Json & { before: Json; after: Json }> }>('GET', `/api/audit?tenant=${t.body.id}`, s.admin);
    const [update, create] = audit.body.data;
    assert.equal(update.action, 'tenant.update');
    assert.equal(update.actor_key_id, s.adminId);
    const keys = await s.call<{ data: Array<{ id: string; name: string }> }>('GET', '/api/keys', s.admin);
    assert.equal(update.actor_key_name, keys.body.data.find((k) => k.id === s.adminId)?.name, 'who: the acting key by name');
    assert.equal(update.target_id, t.body.id);
    assert.deepEqual([update.before.monthly_limit_micros, update.before.limit_mode], [1_000_000, 'soft']);
    assert.deepEqual([update.after.monthly_limit_micros, update.after.limit_mode], [5_000_000, 'hard']);
    assert.ok(Date.parse(String(update.at)) > 0);
    assert.equal(create.action, 'tenant.create');
  });

  it('pages the audit log as OpenAI lists do: limit, has_more, after', async () => {
    const whole = await s.call<{ data: Array<{ id: string }>; has_more: boolean }>('GET', '/api/audit?limit=5', s.admin);
    assert.equal(whole.body.data.length, 5, 'the tests before this one made at least five changes');
    const first = await s.call<{ data: Array<{ id: string }>; has_more: boolean; last_id: string }>('GET', '/api/audit?limit=2', s.admin);
    assert.equal(first.body.has_more, true);
    assert.equal(first.body.last_id, first.body.data[1].id);
    const next = await s.call<{ data: Array<{ id: string }> }>('GET', `/api/audit?limit=3&after=${first.body.last_id}`, s.admin);
    assert.deepEqual([...first.body.data, ...next.body.data].map((e) => e.id), whole.body.data.map((e) => e.id));
    const all = await s.call<{ data: Array<{ id: string }>; has_more: boolean }>('GET', '/api/audit?limit=1000', s.admin);
    assert.equal(all.body.has_more, false);
    const end = await s.call<{ data: unknown[]; has_more: boolean }>('GET', `/api/audit?after=${all.body.data.at(-1)!.id}`, s.admin);
    assert.deepEqual([end.body.data.length, end.body.has_more], [0, false]);
    await expectError('GET', '/api/audit?after=aud_nope', undefined, 400, 'invalid_request', 'after');
  });

  it('refuses bad tenant input and unknown tenants with clear errors', async () => {
    await expectError('POST', '/api/tenants', { name: 'has space', kind: 'internal' }, 400, 'invalid_request', 'name');
    await expectError('POST', '/api/tenants', { name: 'acme', kind: 'internal' }, 400, 'invalid_request', 'name');
    await expectError('POST', '/api/tenants', { name: 'x1', kind: 'partner' }, 400, 'invalid_request', 'kind');
    await expectError('POST', '/api/tenants', { name: 'x1', kind: 'internal', color: 'red' }, 400, 'unknown_parameter', 'color');
    await expectError('POST', '/api/tenants', { name: 'x1', kind: 'internal', monthly_limit_micros: -5 }, 400, 'invalid_request', 'monthly_limit_micros');
    await expectError('POST', '/api/tenants', { name: 'x1', kind: 'internal', monthly_limit_micros: 1.5 }, 400, 'invalid_request', 'monthly_limit_micros');
    const missing = await expectError('GET', '/api/tenants/tnt-missing', undefined, 404, 'not_found');
    assert.match(missing.message, /tnt-missing/);
    await expectError('PATCH', '/api/tenants/tnt-missing', { prepaid: true }, 404, 'not_found');
    await expectError('POST', '/api/tenants/tnt-missing/credits', { amount_micros: 5 }, 404, 'not_found');
    await expectError('GET', '/api/tenants/tnt-missing/budget', undefined, 404, 'not_found');
    await expectError('POST', '/api/keys', { name: 'k', tenant_id: 'tnt-missing' }, 404, 'not_found', 'tenant_id');
    await expectError('GET', '/api/usage?tenant=tnt-missing', undefined, 404, 'not_found', 'tenant');
    await expectError('GET', '/api/statements?tenant=tnt-missing', undefined, 404, 'not_found', 'tenant');
  });

  it('refuses negative, fractional, zero and missing money amounts', async () => {
    const acme = 'acme';
    await expectError('POST', `/api/tenants/${acme}/credits`, { amount_micros: -1_000 }, 400, 'invalid_request', 'amount_micros');
    await expectError('POST', `/api/tenants/${acme}/credits`, { amount_micros: 0 }, 400, 'invalid_request', 'amount_micros');
    await expectError('POST', `/api/tenants/${acme}/credits`, { amount_micros: 1.5 }, 400, 'invalid_request', 'amount_micros');
    const missing = await expectError('POST', `/api/tenants/${acme}/credits`, {}, 400, 'invalid_request', 'amount_micros');
    assert.match(missing.message, /Missing required parameter/);
    await expectError('POST', `/api/tenants/${acme}/allowances`, { model: 'fake', tokens: -1, expires_at: inAnHour() }, 400, 'invalid_request', 'tokens');
    await expectError('POST', `/api/tenants/${acme}/allowances`, { model: 'fake', tokens: 10, expires_at: '2001-01-01T00:00:00Z' }, 400, 'invalid_request', 'expires_at');
    await expectError('PUT', `/api/tenants/${acme}/rate-limits`, { rpm: 0, tpm: null }, 400, 'invalid_request', 'rpm');
    await expectError('PUT', `/api/tenants/${acme}/rate-limits`, { rpm: 5, tpm: -3 }, 400, 'invalid_request', 'tpm');
  });

  it('refuses invalid prices, past and duplicate effective times', async () => {
    const ok = { model: 'priced', input_per_mtok: 100, output_per_mtok: 200 };
    await expectError('POST', '/api/prices/models', { ...ok, input_per_mtok: -1 }, 400, 'invalid_request', 'input_per_mtok');
    await expectError('POST', '/api/prices/models', { ...ok, output_per_mtok: 0.5 }, 400, 'invalid_request', 'output_per_mtok');
    await expectError('POST', '/api/prices/models', { ...ok, cached_input_per_mtok: -2 }, 400, 'invalid_request', 'cached_input_per_mtok');
    await expectError('POST', '/api/prices/models', { ...ok, output_per_mtok: '200' }, 400, 'invalid_request', 'output_per_mtok');
    await expectError('POST', '/api/prices/models', { ...ok, effective_from: 'next tuesday' }, 400, 'invalid_request', 'effective_from');
    const past = await expectError('POST', '/api/prices/models', { ...ok, effective_from: '2020-01-01T00:00:00Z' }, 400, 'invalid_request', 'effective_from');
    assert.match(past.message, /past/);
    const at = inAnHour();
    assert.equal((await s.call('POST', '/api/prices/models', s.admin, { ...ok, effective_from: at })).status, 201);
    const duplicate = await expectError('POST', '/api/prices/models', { ...ok, input_per_mtok: 50, effective_from: at }, 400, 'invalid_request', 'effective_from');
    assert.match(duplicate.message, /already has a price/);

    await expectError('POST', '/api/prices/chips', { chip_type: 'H100', per_hour: -1 }, 400, 'invalid_request', 'per_hour');
    await expectError('POST', '/api/prices/chips', { chip_type: 'H100', per_hour: 1, effective_from: '2020-01-01T00:00:00Z' }, 400, 'invalid_request', 'effective_from');
    assert.equal((await s.call('POST', '/api/prices/chips', s.admin, { chip_type: 'H100', per_hour: 2_500_000, effective_from: at })).status, 201);
    await expectError('POST', '/api/prices/chips', { chip_type: 'H100', per_hour: 3, effective_from: at }, 400, 'invalid_request', 'effective_from');

    const book = await s.call<{ models: Array<Json>; chips: Array<Json> }>('GET', '/api/prices', s.admin);
    const fake = book.body.models.find((p) => p.model === 'fake')!;
    assert.deepEqual([fake.in_force, fake.cached_input_per_mtok], [true, 1_000_000], 'cached defaults to the input price');
    assert.equal(book.body.models.find((p) => p.model === 'priced')!.in_force, false, 'effective in an hour');
    assert.equal(book.body.chips.length, 1);
    const audit = await s.call<{ data: Array<Json & { after: Json }> }>('GET', '/api/audit', s.admin);
    const entry = audit.body.data.find((e) => e.action === 'price.chip.create')!;
    assert.deepEqual([entry.tenant_id, entry.after.per_hour, entry.actor_key_id], [null, 2_500_000, s.adminId]);
  });

  it('refuses bad key, usage and statement input', async () => {
    await expectError('POST', '/api/keys', { name: 'k', expires_at: '2001-01-01T00:00:00Z' }, 400, 'invalid_request', 'expires_at');
    await expectError('POST', '/api/keys', { name: 'k', role: 'root' }, 400, 'invalid_request', 'role');
    await expectError('POST', '/api/keys', { name: 'k', role: 'admin', tenant_id: 'acme' }, 400, 'invalid_request', 'role');
    await expectError('POST', '/api/keys', { name: 'k', allowed_models: [] }, 400, 'invalid_request', 'allowed_models');
    await expectError('POST', '/api/keys', { name: 'k', rpm: 0 }, 400, 'invalid_request', 'rpm');
    await expectError('DELETE', '/api/keys/key-missing', undefined, 404, 'key_not_found');
    await expectError('GET', '/api/usage?by=week', undefined, 400, 'invalid_request', 'by');
    await expectError('GET', '/api/usage?from=yesterday', undefined, 400, 'invalid_request', 'from');
    await expectError('GET', '/api/usage?from=2026-02-01&to=2026-01-01', undefined, 400, 'invalid_request', 'to');
    await expectError('GET', '/api/usage?colour=red', undefined, 400, 'unknown_parameter', 'colour');
    await expectError('GET', '/api/statements?tenant=acme&period=2026-13', undefined, 400, 'invalid_request', 'period');
    await expectError('GET', '/api/statements?tenant=acme&period=2026-01&from=2026-01-01', undefined, 400, 'invalid_request', 'period');
    await expectError('GET', '/api/statements?tenant=acme&from=2026-01-01', undefined, 400, 'invalid_request', 'to');
    await expectError('GET', '/api/statements', undefined, 400, 'invalid_request', 'tenant');
  });

  it('applies key allow-lists, labels and key rate limits set at creation', async () => {
    const created = await s.call<Json & { secret: string; id: string }>('POST', '/api/keys', s.admin, {
      name: 'scoped', role: 'member', allowed_models: ['fake'], labels: { team: 'search', env: 'prod' }, rpm: 1,
    });
    assert.deepEqual([created.body.allowed_models, created.body.labels], [['fake'], { team: 'search', env: 'prod' }]);
    const other = await s.call('POST', '/v1/chat/completions', created.body.secret, { model: 'other', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    assert.equal(other.body.error?.code, 'model_not_allowed');
    assert.equal(await s.chat(created.body.secret), 200);
    const limited = await s.call('POST', '/v1/chat/completions', created.body.secret, { model: 'fake', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    assert.equal(limited.body.error?.code, 'rate_limit_exceeded');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    // Removing the limit takes effect on the next request.
    assert.equal((await s.call('PUT', `/api/keys/${created.body.id}/rate-limits`, s.admin, { rpm: null, tpm: null })).body.deleted, true);
    assert.equal(await s.chat(created.body.secret), 200);
  });

  it('tenant rate limits, prepaid balances and credits take effect on the next request', async () => {
    const t = await tenantWithKeys('limited');
    assert.equal((await s.call('PUT', `/api/tenants/${t.id}/rate-limits`, s.admin, { model: 'fake', rpm: 1, tpm: null })).status, 200);
    assert.equal(await s.chat(t.k1.secret), 200);
    assert.equal(await s.chat(t.k2.secret), 429, 'the tenant limit covers all its keys');
    assert.equal(await s.chat(t.k2.secret, 3, 4, 'other'), 200, 'the limit is for model fake only');
    await s.call('PUT', `/api/tenants/${t.id}/rate-limits`, s.admin, { model: 'fake', rpm: null, tpm: null });
    assert.equal(await s.chat(t.k2.secret), 200);

    assert.equal((await s.call('PATCH', `/api/tenants/${t.id}`, s.admin, { prepaid: true })).status, 200);
    const refused = await s.call('POST', '/v1/chat/completions', t.k1.secret, { model: 'fake', messages: [{ role: 'user', content: 'a b c' }], max_tokens: 4 });
    assert.equal(refused.status, 402);
    assert.equal(refused.body.error?.code, 'insufficient_quota');
    const credited = await s.call<Json>('POST', `/api/tenants/${t.id}/credits`, s.admin, { amount_micros: 1_000, note: 'trial' });
    assert.equal(credited.status, 201);
    assert.ok(Number(credited.body.balance_micros) > 0);
    assert.equal(await s.chat(t.k1.secret), 200);
    await s.meter.journal.drain();
    const budget = await s.call<Json>('GET', `/api/tenants/${t.id}/budget`, s.admin);
    assert.equal(budget.body.reserved_micros, 0);
    // 11 µ a request (3 prompt tokens at 1 µ, 4 completion tokens at 2 µ): two before it became prepaid, one after.
    assert.equal(budget.body.balance_micros, 1_000 - 3 * 11);
  });

  it('statements and usage sum the ledger exactly, in JSON and CSV, split by price version', async () => {
    const t = await tenantWithKeys('billed');
    assert.equal((await s.call('POST', '/api/prices/models', s.admin, { model: 'other', input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 })).status, 201);
    const cut = await s.call<{ id: string }>('POST', '/api/prices/models', s.admin, { model: 'other', input_per_mtok: 500_000, output_per_mtok: 500_000, effective_from: inAnHour() });
    const start = new Date(s.now().getTime() - 60_000).toISOString();
    for (const [key, model] of [[t.k1, 'fake'], [t.k1, 'fake'], [t.k2, 'fake'], [t.k2, 'other']] as const) assert.equal(await s.chat(key.secret, 3, 4, model), 200);
    s.clock.skewMs = 2 * 3_600_000; // past the price cut
    try {
      assert.equal(await s.chat(t.k2.secret, 3, 4, 'other'), 200);
    } finally {
      s.clock.skewMs = 0;
    }
    await s.call('POST', `/api/tenants/${t.id}/credits`, s.admin, { amount_micros: 500 });
    await s.meter.journal.drain();
    const end = new Date(s.now().getTime() + 3 * 3_600_000).toISOString();
    const range = `tenant=${t.id}&from=${start}&to=${end}`;

    type Line = { amount_micros: number; requests: number };
    const st = (await s.call<{
      lines_by_model: Array<Line & { model: string; price: { id: string } | null }>; lines_by_key: Array<Line & { key_id: string; key_name: string }>;
      lines_by_chip: Line[]; total_micros: number; credits_micros: number; net_micros: number; allowance_tokens_used: number;
    }>('GET', `/api/statements?${range}`, s.admin)).body;
    const ledger = await s.store.billing.ledger({ tenantId: t.id });
    const charges = ledger.filter((e) => e.kind === 'usage').reduce((sum, e) => sum + e.amountMicros, 0);
    assert.equal(st.total_micros, charges);
    assert.equal(st.total_micros, 3 * 11 + 7 + 4, 'fake: 3+8 µ ×3; other: 7 µ before the cut, ceil(3.5) after');
    assert.deepEqual([st.credits_micros, st.net_micros, st.allowance_tokens_used], [500, st.total_micros - 500, 0]);
    const sum = (lines: Line[]) => lines.reduce((acc, l) => acc + l.amount_micros, 0);
    assert.equal(sum(st.lines_by_model), st.total_micros);
    assert.equal(sum(st.lines_by_key), st.total_micros);
    assert.deepEqual(st.lines_by_key.map((l) => [l.key_name, l.requests, l.amount_micros]).sort(), [['billed-1', 2, 22], ['billed-2', 3, 22]]);
    const other = st.lines_by_model.filter((l) => l.model === 'other');
    assert.deepEqual(other.map((l) => l.amount_micros), [7, 4]);
    assert.equal(other[1].price?.id, cut.body.id);
    assert.deepEqual(st.lines_by_chip, []);

    const csv = await s.call('GET', `/api/statements?${range}&format=csv`, s.admin);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', /attachment; filename="statement-billed-/);
    const viaAccept = await s.call('GET', `/api/statements?${range}`, s.admin, undefined, { accept: 'text/csv' });
    assert.equal(viaAccept.text, csv.text);
    const [header, ...rows] = csv.text.trimEnd().split('\r\n').map((r) => r.split(','));
    const col = (name: string) => header.indexOf(name);
    const amounts = (section: string) => rows.filter((r) => r[0] === section).map((r) => Number(r[col('amount_micros')]));
    assert.deepEqual(amounts('model'), st.lines_by_model.map((l) => l.amount_micros));
    assert.deepEqual(amounts('key'), st.lines_by_key.map((l) => l.amount_micros));
    assert.deepEqual([amounts('total'), amounts('credits'), amounts('net')], [[st.total_micros], [st.credits_micros], [st.net_micros]]);
    assert.deepEqual(rows.filter((r) => r[0] === 'model').map((r) => r[col('price_id')]), st.lines_by_model.map((l) => l.price?.id ?? ''));

    for (const by of ['model', 'key', 'day']) {
      const usage = await s.call<{ data: Array<Line & { group: string }> }>('GET', `/api/usage?${range}&by=${by}`, s.admin);
      assert.equal(sum(usage.body.data), st.total_micros, `by ${by}`);
      assert.equal(usage.body.data.reduce((acc, l) => acc + l.requests, 0), 5, `by ${by}`);
    }
    const usageCsv = await s.call('GET', `/api/usage?${range}&by=key&format=csv`, s.admin);
    assert.equal(usageCsv.text.trimEnd().split('\r\n').slice(1).reduce((acc, r) => acc + Number(r.split(',').at(-1)), 0), st.total_micros);
    const month = await s.call<{ period: string; total_micros: number }>('GET', `/api/statements?tenant=billed&period=${s.now().toISOString().slice(0, 7)}`, s.admin);
    assert.equal(month.body.period, s.now().toISOString().slice(0, 7));
  });

  it('grants allowances and lists them; documents the admin API in OpenAPI', async () => {
    const granted = await s.call<Json>('POST', '/api/tenants/acme/allowances', s.admin, { model: 'fake', tokens: 1000, expires_at: '2099-01-01T00:00:00Z' });
    assert.equal(granted.status, 201);
    const list = await s.call<{ data: Json[] }>('GET', '/api/tenants/acme/allowances', s.admin);
    assert.deepEqual(list.body.data.map((a) => [a.model, a.tokens]), [['fake', 1000]]);
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>> };
    for (const path of ['/api/tenants', '/api/tenants/{id}/credits', '/api/keys/{id}/rate-limits', '/api/prices/models', '/api/usage', '/api/statements', '/api/audit']) {
      assert.ok(doc.paths[path], path);
    }
    assert.ok(doc.paths['/api/statements'].get.parameters?.some((p) => p.name === 'period'));
  });

  it('changes and ends an allowance: an ended one pays for nothing more, stays listed, and both are audited', async () => {
    const t = await tenantWithKeys('free-tier');
    const granted = await s.call<{ id: string }>('POST', `/api/tenants/${t.id}/allowances`, s.admin, { model: 'fake', tokens: 20, expires_at: '2099-01-01T00:00:00Z' });
    const path = `/api/tenants/${t.id}/allowances/${granted.body.id}`;
    const raised = await s.call<Json>('PATCH', path, s.admin, { tokens: 1000 });
    assert.equal(raised.status, 200, raised.text);
    assert.deepEqual([raised.body.tokens, raised.body.expires_at], [1000, '2099-01-01T00:00:00.000Z']);
    await expectError('PATCH', path, { expires_at: '2001-01-01T00:00:00Z' }, 400, 'invalid_request', 'expires_at');
    await expectError('PATCH', path, { tokens: 0 }, 400, 'invalid_request', 'tokens');
    await expectError('PATCH', path, {}, 400, 'invalid_request');
    await expectError('PATCH', `/api/tenants/${t.id}/allowances/alw_nope`, { tokens: 5 }, 404, 'not_found');
    const member = await s.call('PATCH', path, t.k1.secret, { tokens: 5 });
    assert.equal(member.status, 403);

    const ledgerOf = async () => (await s.store.billing.ledger({ tenantId: t.id })).filter((e) => e.kind === 'usage');
    assert.equal(await s.chat(t.k1.secret), 200);
    await s.meter.journal.drain();
    const [free] = await ledgerOf();
    assert.ok(free.allowanceTokens > 0 && free.amountMicros === 0, 'the allowance paid for the first request');

    const ended = await s.call<Json>('DELETE', path, s.admin);
    assert.equal(ended.status, 200, ended.text);
    assert.ok(Date.parse(String(ended.body.expires_at)) <= s.now().getTime());
    assert.equal(await s.chat(t.k1.secret), 200);
    await s.meter.journal.drain();
    const paid = (await ledgerOf()).find((e) => e.requestId !== free.requestId)!;
    assert.deepEqual([paid.allowanceTokens, paid.amountMicros > 0], [0, true], 'an ended allowance pays nothing');
    const listed = await s.call<{ data: Json[] }>('GET', `/api/tenants/${t.id}/allowances`, s.admin);
    assert.deepEqual(listed.body.data.map((a) => a.id), [granted.body.id]);

    const audit = await s.call<{ data: Array<{ action: string; target_id: string; before: Json; after: Json }> }>('GET', `/api/audit?tenant=${t.id}`, s.admin);
    const actions = audit.body.data.filter((e) => e.target_id === granted.body.id).map((e) => [e.action, e.before?.tokens ?? null, e.after.tokens]);
    assert.deepEqual(actions, [['allowance.end', 1000, 1000], ['allowance.update', 20, 1000], ['allowance.create', null, 20]]);
  });

  it('the CLI drives the same API: tenants, keys, prices, usage and statements', async () => {
    const out: string[] = [];
    const log = mock.method(console, 'log', (...args: unknown[]) => void out.push(args.join(' ')));
    const table = mock.method(console, 'table', (rows: unknown) => void out.push(JSON.stringify(rows)));
    // The CLI writes CSV as text; the test runner's own reports (binary) must still get through.
    const original = process.stdout.write.bind(process.stdout);
    const write = mock.method(process.stdout, 'write', (chunk: unknown, ...rest: never[]) =>
      typeof chunk === 'string' ? (out.push(chunk), true) : original(chunk as Uint8Array, ...rest));
    const run = async (...args: string[]) => {
      out.length = 0;
      await main(['node', 'tessera', ...args, '--url', s.url, '--key', s.admin]);
      return out.join('\n');
    };
    try {
      const tenant = JSON.parse(await run('tenants', 'create', 'cli-co', '--kind', 'external', '--monthly-limit', '9000000', '--soft', '--json'));
      assert.deepEqual([tenant.name, tenant.monthly_limit_micros, tenant.limit_mode], ['cli-co', 9_000_000, 'soft']);
      assert.match(await run('tenants', 'list'), /cli-co/);
      assert.match(await run('tenants', 'credit', 'cli-co', '2500000'), /balance now 2\.500000/);
      assert.match(await run('tenants', 'show', tenant.id), /balance: 2\.500000/);
      const key = JSON.parse(await run('keys', 'create', '--name', 'ops', '--tenant', tenant.id, '--role', 'tenant_admin', '--models', 'fake,other', '--label', 'team=ops', '--rpm', '100', '--json'));
      assert.deepEqual([key.role, key.allowed_models, key.labels], ['tenant_admin', ['fake', 'other'], { team: 'ops' }]);
      assert.equal(await s.chat(key.secret), 200);
      await s.meter.journal.drain();
      assert.match(await run('prices', 'set-model', 'cli-model', '--input', '10', '--output', '20'), /takes effect/);
      assert.match(await run('prices', 'list'), /cli-model/);
      const csv = await run('usage', '--tenant', 'cli-co', '--by', 'key', '--csv');
      assert.match(csv, new RegExp(`^group,requests,.*\\r\\n${key.id},1,3,0,4,0,0,11\\r\\n$`));
      const statement = JSON.parse(await run('statement', '--tenant', 'cli-co', '--json'));
      assert.deepEqual([statement.total_micros, statement.credits_micros], [11, 2_500_000]);
      assert.match(await run('tenants', 'allow', 'cli-co', '--model', 'fake', '--tokens', '500', '--expires', '2099-01-01T00:00:00Z'), /Granted 500 free tokens/);
      const [allowance] = JSON.parse(await run('tenants', 'allowances', 'cli-co', '--json'));
      assert.match(await run('tenants', 'allowance-update', 'cli-co', allowance.id, '--tokens', '800'), /800 free tokens of fake until 2099/);
      assert.match(await run('tenants', 'allowance-end', 'cli-co', allowance.id), new RegExp(`Ended allowance ${allowance.id}`));
      const [ended] = JSON.parse(await run('tenants', 'allowances', 'cli-co', '--json'));
      assert.ok(Date.parse(ended.expires_at) <= s.now().getTime());
      await assert.rejects(run('tenants', 'show', 'nobody'), /No tenant has the id or name 'nobody'. \(not_found\)/);
    } finally {
      log.mock.restore();
      table.mock.restore();
      write.mock.restore();
    }
  });
});

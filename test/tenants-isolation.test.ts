/**
 * Isolation between two tenants across every admin endpoint (issue 5, "Bad input and isolation"):
 * tenant A's tenant admin and members never see or act on tenant B's keys, usage, statements,
 * budget, rate limits, allowances or audit entries; another tenant's records answer exactly like
 * records that do not exist (404); a member cannot open admin endpoints (403); revoked and expired
 * keys fail on the very next request.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startAdminServer, type AdminServer } from './support/admin-server.js';

interface Tenant {
  id: string;
  name: string;
  tenantAdmin: { id: string; secret: string };
  member: { id: string; secret: string };
}

describe('tenant isolation on the admin API', () => {
  let s: AdminServer;
  let a: Tenant;
  let b: Tenant;

  async function makeTenant(name: string): Promise<Tenant> {
    const t = await s.call<{ id: string }>('POST', '/api/tenants', s.admin, { name, kind: 'external' });
    assert.equal(t.status, 201, t.text);
    const key = async (role: string, by: string) => {
      const r = await s.call<{ id: string; secret: string }>('POST', '/api/keys', by, { name: `${name}-${role}`, role, tenant_id: t.body.id });
      assert.equal(r.status, 201, r.text);
      return { id: r.body.id, secret: r.body.secret };
    };
    const tenantAdmin = await key('tenant_admin', s.admin);
    // The tenant admin creates its own member: tenant admins manage their tenant's keys.
    const member = await key('member', tenantAdmin.secret);
    return { id: t.body.id, name, tenantAdmin, member };
  }

  before(async () => {
    s = await startAdminServer();
    assert.equal((await s.call('POST', '/api/prices/models', s.admin, { model: 'fake', input_per_mtok: 1_000_000, output_per_mtok: 2_000_000 })).status, 201);
    a = await makeTenant('team-a');
    b = await makeTenant('customer-b');
    for (const t of [a, b]) {
      assert.equal((await s.call('POST', `/api/tenants/${t.id}/credits`, s.admin, { amount_micros: 5_000_000, note: 'welcome' })).status, 201);
      assert.equal((await s.call('PUT', `/api/tenants/${t.id}/rate-limits`, s.admin, { rpm: 1000, tpm: null })).status, 200);
      assert.equal((await s.call('POST', `/api/tenants/${t.id}/allowances`, s.admin, { model: 'other', tokens: 100, expires_at: '2099-01-01T00:00:00Z' })).status, 201);
      for (const key of [t.tenantAdmin, t.member, t.member]) assert.equal(await s.chat(key.secret), 200);
    }
    await s.meter.journal.drain();
  });

  after(async () => {
    await s?.close();
  });

  it('a member cannot open admin endpoints (403 permission_denied, whichever tenant is named)', async () => {
    const member = a.member.secret;
    const refused: Array<[string, string, unknown?]> = [];
    for (const t of [a.id, b.id, 'tnt-nope']) {
      refused.push(
        ['GET', `/api/tenants/${t}`], ['PATCH', `/api/tenants/${t}`, { prepaid: true }], ['GET', `/api/tenants/${t}/budget`],
        ['POST', `/api/tenants/${t}/credits`, { amount_micros: 1 }], ['GET', `/api/tenants/${t}/rate-limits`],
        ['PUT', `/api/tenants/${t}/rate-limits`, { rpm: 1, tpm: null }], ['GET', `/api/tenants/${t}/allowances`],
        ['POST', `/api/tenants/${t}/allowances`, { model: 'fake', tokens: 1, expires_at: '2099-01-01T00:00:00Z' }],
        ['GET', `/api/statements?tenant=${t}`], ['GET', `/api/audit?tenant=${t}`],
      );
    }
    refused.push(
      ['GET', '/api/tenants'], ['POST', '/api/tenants', { name: 'x', kind: 'internal' }], ['POST', '/api/keys', { name: 'x', role: 'member' }],
      ['GET', `/api/keys/${a.member.id}/rate-limits`], ['PUT', `/api/keys/${a.member.id}/rate-limits`, { rpm: 5, tpm: null }],
      ['POST', '/api/prices/models', { model: 'fake', input_per_mtok: 0, output_per_mtok: 0 }], ['POST', '/api/prices/chips', { chip_type: 'H100', per_hour: 1 }],
      ['GET', '/api/statements'], ['GET', '/api/audit'],
    );
    for (const [method, path, body] of refused) {
      const r = await s.call(method, path, member, body);
      assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
      assert.equal(r.body.error?.code, 'permission_denied', `${method} ${path}`);
    }
  });

  it('a member sees only its own key and its own usage', async () => {
    const keys = await s.call<{ data: Array<{ id: string }> }>('GET', '/api/keys', a.member.secret);
    assert.deepEqual(keys.body.data.map((k) => k.id), [a.member.id]);
    assert.equal((await s.call('GET', `/api/keys?tenant=${b.id}`, a.member.secret)).status, 404);

    const usage = await s.call<{ data: Array<{ group: string; requests: number; amount_micros: number }> }>('GET', '/api/usage?by=key', a.member.secret);
    assert.equal(usage.status, 200);
    assert.deepEqual(usage.body.data.map((r) => r.group), [a.member.id]);
    const ledger = (await s.store.billing.ledger({ keyId: a.member.id })).filter((e) => e.kind === 'usage');
    assert.equal(usage.body.data[0].requests, ledger.length);
    assert.equal(usage.body.data[0].amount_micros, ledger.reduce((sum, e) => sum + e.amountMicros, 0));

    for (const path of [`/api/usage?key=${a.tenantAdmin.id}`, `/api/usage?key=${b.member.id}`]) {
      assert.equal((await s.call('GET', path, a.member.secret)).body.error?.code, 'key_not_found', path);
    }
    for (const path of [`/api/usage?tenant=${b.id}`, `/api/usage?tenant=${b.name}`]) {
      assert.equal((await s.call('GET', path, a.member.secret)).status, 404, path);
    }
    // Revoking is allowed for its own key only; others' keys read as absent.
    for (const id of [a.tenantAdmin.id, b.member.id]) {
      assert.equal((await s.call('DELETE', `/api/keys/${id}`, a.member.secret)).body.error?.code, 'key_not_found');
    }
    assert.equal((await s.call('GET', '/api/prices', a.member.secret)).status, 200);
  });

  it("a tenant admin reads only its own tenant's records", async () => {
    const ta = a.tenantAdmin.secret;
    const tenants = await s.call<{ data: Array<{ id: string }> }>('GET', '/api/tenants', ta);
    assert.deepEqual(tenants.body.data.map((t) => t.id), [a.id]);
    for (const path of ['', '/budget', '/rate-limits', '/allowances']) {
      assert.equal((await s.call('GET', `/api/tenants/${a.id}${path}`, ta)).status, 200, path);
    }

    const keys = await s.call<{ data: Array<{ tenant_id: string }> }>('GET', '/api/keys', ta);
    assert.equal(keys.body.data.length, 2);
    assert.ok(keys.body.data.every((k) => k.tenant_id === a.id));

    const usage = await s.call<{ data: Array<{ group: string }> }>('GET', '/api/usage?by=key', ta);
    assert.deepEqual(new Set(usage.body.data.map((r) => r.group)), new Set([a.tenantAdmin.id, a.member.id]));

    const statement = await s.call<{ tenant: { id: string }; lines_by_key: Array<{ key_id: string }> }>('GET', '/api/statements', ta);
    assert.equal(statement.status, 200);
    assert.equal(statement.body.tenant.id, a.id);
    assert.ok(statement.body.lines_by_key.every((l) => [a.tenantAdmin.id, a.member.id].includes(l.key_id)));

    const audit = await s.call<{ data: Array<{ tenant_id: string; target_id: string }> }>('GET', '/api/audit', ta);
    assert.ok(audit.body.data.length >= 5);
    assert.ok(audit.body.data.every((e) => e.tenant_id === a.id));
    const leaked = JSON.stringify(audit.body) + JSON.stringify(keys.body) + JSON.stringify(usage.body) + statement.text;
    for (const id of [b.id, b.tenantAdmin.id, b.member.id]) assert.ok(!leaked.includes(id), `leaked ${id}`);
  });

  it("another tenant's records answer exactly like ones that do not exist", async () => {
    const ta = a.tenantAdmin.secret;
    const notFound: Array<[string, string, unknown?]> = [];
    for (const t of [b.id, b.name]) {
      notFound.push(
        ['GET', `/api/tenants/${t}`], ['GET', `/api/tenants/${t}/budget`], ['GET', `/api/tenants/${t}/rate-limits`],
        ['GET', `/api/tenants/${t}/allowances`], ['GET', `/api/keys?tenant=${t}`], ['GET', `/api/usage?tenant=${t}`],
        ['GET', `/api/statements?tenant=${t}`], ['GET', `/api/statements?tenant=${t}&format=csv`], ['GET', `/api/audit?tenant=${t}`],
        ['POST', '/api/keys', { name: 'intruder', role: 'member', tenant_id: t }],
      );
    }
    for (const k of [b.tenantAdmin.id, b.member.id]) {
      notFound.push(['DELETE', `/api/keys/${k}`], ['GET', `/api/keys/${k}/rate-limits`], ['PUT', `/api/keys/${k}/rate-limits`, { rpm: 1, tpm: 1 }], ['GET', `/api/usage?key=${k}`]);
    }
    for (const [method, path, body] of notFound) {
      const real = await s.call(method, path, ta, body);
      // The same call with B's ids and names swapped for ones that exist nowhere.
      const ghostify = (text: string) => text.replace(b.id, 'tnt-ghost').replace(b.name, 'ghost').replace(/key-\w+/, 'key-ghost');
      const ghost = await s.call(method, ghostify(path), ta, body === undefined ? undefined : JSON.parse(ghostify(JSON.stringify(body))));
      assert.equal(real.status, 404, `${method} ${path}: ${real.text}`);
      assert.equal(real.body.error?.code, ghost.body.error?.code, `${method} ${path}`);
      assert.equal(real.body.error?.message.replace(b.id, 'X').replace(b.name, 'X').replace(/key-\w+/, 'X'),
        ghost.body.error?.message.replace('key-ghost', 'X').replace('tnt-ghost', 'X').replace('ghost', 'X'), `${method} ${path}`);
    }
    // B's keys still work: nothing above acted on them.
    assert.equal(await s.chat(b.member.secret), 200);
    const limits = await s.call<{ data: Array<{ scope_id: string }> }>('GET', `/api/tenants/${b.id}/rate-limits`, s.admin);
    assert.ok(!limits.body.data.some((l) => l.scope_id === b.member.id));
  });

  it("a tenant admin cannot do platform-admin actions, on its own tenant or another's (403 before any lookup)", async () => {
    const ta = a.tenantAdmin.secret;
    for (const t of [a.id, b.id]) {
      for (const [method, path, body] of [
        ['PATCH', `/api/tenants/${t}`, { monthly_limit_micros: 1 }], ['POST', `/api/tenants/${t}/credits`, { amount_micros: 1_000_000 }],
        ['PUT', `/api/tenants/${t}/rate-limits`, { rpm: 100000, tpm: null }],
        ['POST', `/api/tenants/${t}/allowances`, { model: 'fake', tokens: 1_000_000, expires_at: '2099-01-01T00:00:00Z' }],
      ] as Array<[string, string, unknown]>) {
        const r = await s.call(method, path, ta, body);
        assert.equal(r.body.error?.code, 'permission_denied', `${method} ${path}`);
      }
    }
    for (const [method, path, body] of [
      ['POST', '/api/tenants', { name: 'mine', kind: 'internal' }], ['POST', '/api/prices/models', { model: 'fake', input_per_mtok: 0, output_per_mtok: 0 }],
      ['POST', '/api/keys', { name: 'root2', role: 'admin' }],
    ] as Array<[string, string, unknown]>) {
      assert.equal((await s.call(method, path, ta, body)).body.error?.code, 'permission_denied', `${method} ${path}`);
    }
    const budget = await s.call<{ balance_micros: number }>('GET', `/api/tenants/${a.id}/budget`, s.admin);
    assert.ok(budget.body.balance_micros < 5_000_000, 'no credit was added by the refused calls');
  });

  it('a tenant admin manages its own keys, and revocation takes effect on the next request', async () => {
    const ta = a.tenantAdmin.secret;
    const created = await s.call<{ id: string; secret: string; tenant_id: string }>('POST', '/api/keys', ta, { name: 'ci', role: 'member', rpm: 50 });
    assert.equal(created.status, 201);
    assert.equal(created.body.tenant_id, a.id);
    assert.equal(await s.chat(created.body.secret), 200);
    const limits = await s.call<{ data: Array<{ rpm: number }> }>('GET', `/api/keys/${created.body.id}/rate-limits`, ta);
    assert.equal(limits.body.data[0].rpm, 50);

    const revoked = await s.call<{ revoked_at: string }>('DELETE', `/api/keys/${created.body.id}`, ta);
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revoked_at);
    assert.equal(await s.chat(created.body.secret), 401);
    const r = await s.call('GET', '/api/keys', created.body.secret);
    assert.equal(r.body.error?.code, 'invalid_api_key');

    const audit = await s.call<{ data: Array<{ action: string; target_id: string; actor_key_id: string; before: { revoked_at: null }; after: { revoked_at: string } }> }>('GET', '/api/audit', ta);
    const entry = audit.body.data.find((e) => e.action === 'key.revoke' && e.target_id === created.body.id);
    assert.ok(entry);
    assert.equal(entry.actor_key_id, a.tenantAdmin.id);
    assert.equal(entry.before.revoked_at, null);
    assert.equal(entry.after.revoked_at, revoked.body.revoked_at);
  });

  it('a member may revoke its own key, which then fails at once', async () => {
    const created = await s.call<{ id: string; secret: string }>('POST', '/api/keys', a.tenantAdmin.secret, { name: 'leaked', role: 'member' });
    assert.equal((await s.call('DELETE', `/api/keys/${created.body.id}`, created.body.secret)).status, 200);
    assert.equal(await s.chat(created.body.secret), 401);
  });

  it('an expired key fails on the first request after its expiry', async () => {
    const expiresAt = new Date(s.now().getTime() + 60_000).toISOString();
    const created = await s.call<{ secret: string }>('POST', '/api/keys', a.tenantAdmin.secret, { name: 'short', role: 'member', expires_at: expiresAt });
    assert.equal(await s.chat(created.body.secret), 200);
    s.clock.skewMs = 61_000;
    try {
      assert.equal(await s.chat(created.body.secret), 401);
      assert.equal((await s.call('GET', '/api/keys', created.body.secret)).body.error?.code, 'invalid_api_key');
    } finally {
      s.clock.skewMs = 0;
    }
  });
});

// The dashboard's pieces that need no Temporal: markup from meridian.yaml names and workflow
// messages is escaped, progress bars read the operations' progress shapes, the RPO chart marks a
// history over its target, and through app.request the login sets an HttpOnly SameSite=Strict
// cookie only for a valid token, pages without it go to the login, a POST from another origin
// (or naming none) is refused, and the cookie opens no API route; behind a proxy (api.publicUrl)
// a POST must carry the public origin and the cookie is Secure; a decision is approve or reject
// only, each its own form, so Enter in a note never sends the other one.

import type { Client } from '@temporalio/client';
import { createApiApp } from '../../api/app';
import { rpoChart } from '../../api/dashboard/charts';
import { html } from '../../api/dashboard/html';
import { progressFraction } from '../../api/dashboard/pages/operations';
import { decisionForm } from '../../api/dashboard/pages/runbooks';
import { ApiSettingsSchema } from '../../config/schema';
import { duration, percent } from '../../control/format';
import type { Authority } from '../../worker/authority';

describe('dashboard rendering', () => {
  it('escapes every interpolated value, and keeps nested templates as markup', () => {
    const name = '<script>alert("x")</script>&\'';
    expect(html`<td title="${name}">${name}</td>`.text).toBe('<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</td>');
    expect(html`<ul>${['a<', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.text).toBe('<ul><li>a&lt;</li><li>b</li></ul>');
    expect(html`${undefined}${null}${false}${0}`.text).toBe('0');
  });

  it('reads the progress of a backup, a restore and a verify', () => {
    expect(progressFraction({ bytesDone: 25, bytesFound: 100, filesDone: 1, filesFound: 9 })).toBe(0.25);
    expect(progressFraction({ bytesDone: 10, bytesTotal: 40 })).toBe(0.25);
    expect(progressFraction({ phase: 'packs', done: 3, total: 4 })).toBe(0.75);
    expect(progressFraction({ bytesDone: 5, bytesFound: 0 })).toBeUndefined();
    expect(progressFraction(undefined)).toBeUndefined();
  });

  it('draws the RPO line red while its newest point is over the target, green below it', () => {
    expect(rpoChart([[0, 60], [60, 900], [120, 30]], 600, 'x').text).toContain('class="good"');
    expect(rpoChart([[0, 60], [60, 900]], 600, 'x').text).toContain('class="bad"');
    expect(rpoChart([[0, 60]], 600, 'x').text).toContain('not enough history');
    expect([duration(59), duration(3600 + 300), duration(3 * 86400)]).toEqual(['59 s', '1 h 5 min', '3 d']);
  });

  it('writes durations and ratios as the Markdown report and the CLI do (one formatter, control/format.ts)', () => {
    // The dashboard once wrote "36 h" and "60 s" where the report wrote "1 d 12 h" and "1 min".
    expect([duration(36 * 3600), duration(59.6), duration(-1), duration(undefined)]).toEqual(['1 d 12 h', '1 min', '—', '—']);
    expect([percent(0.93751), percent(0.93751, 2), percent(1, 2), percent(null)]).toEqual(['93.8 %', '93.75 %', '100 %', '—']);
  });
});

describe('dashboard sign-in', () => {
  const TOKEN = 'dashboard-unit-admin-token';
  const OPS = 'dashboard-unit-ops-token';
  const authority: Authority = { admit: () => Promise.reject(new Error('no repository in this test')) };
  // Only the sign-in paths and refusals run here: nothing reaches Temporal.
  const app = createApiApp({ client: {} as Client, authority, token: TOKEN, tokens: { ops: OPS } });
  const ORIGIN = 'http://localhost';
  const form = (body: string, origin: string | null = ORIGIN) =>
    app.request('/login', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(origin ? { Origin: origin } : {}) }, body });

  it('sends a page without a session to the login form, which allows no script', async () => {
    const page = await app.request('/sources');
    expect([page.status, page.headers.get('Location')]).toEqual([303, '/login']);
    const login = await app.request('/login');
    expect(login.status).toBe(200);
    expect(login.headers.get('Content-Security-Policy')).toMatch(/default-src 'none'/);
    expect(await login.text()).toContain('name="token"');
  });

  it('keeps a valid token in an HttpOnly SameSite=Strict cookie, and refuses a wrong one', async () => {
    const ok = await form(`token=${OPS}`);
    expect([ok.status, ok.headers.get('Location')]).toEqual([303, '/sources']);
    expect(ok.headers.get('Set-Cookie')).toMatch(new RegExp(`^meridian_session=${OPS}; Max-Age=\\d+; Path=/; HttpOnly; SameSite=Strict$`));
    const wrong = await form('token=guess');
    expect([wrong.status, wrong.headers.get('Set-Cookie')]).toEqual([401, null]);
  });

  it('refuses a POST from another origin or naming none, and the cookie opens no API route', async () => {
    expect((await form(`token=${OPS}`, 'http://evil.example')).status).toBe(403);
    expect((await form(`token=${OPS}`, null)).status).toBe(403);
    const decide = await app.request('/runbooks/runbook%3Ax%3Ay/decide', { method: 'POST', headers: { Cookie: `meridian_session=${OPS}`, Origin: 'http://evil.example' }, body: 'step=s' });
    expect(decide.status).toBe(403);
    expect((await app.request('/v1/schedules', { headers: { Cookie: `meridian_session=${OPS}` } })).status).toBe(401);
  });
});

describe('dashboard behind a reverse proxy (api.publicUrl)', () => {
  const OPS = 'dashboard-unit-proxy-token';
  const PUBLIC = 'https://meridian.example.com';
  const authority: Authority = { admit: () => Promise.reject(new Error('no repository in this test')) };
  // The proxy forwards to the server over plain http: the request URL says http://localhost.
  const app = createApiApp({ client: {} as Client, authority, token: '', tokens: { ops: OPS }, config: { api: ApiSettingsSchema.parse({ publicUrl: PUBLIC }) } });
  const login = (origin: string) => app.request('/login', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin }, body: `token=${OPS}` });

  it('takes a POST from the public origin only, and makes the cookie Secure when that is https', async () => {
    const ok = await login(PUBLIC);
    expect([ok.status, ok.headers.get('Location')]).toEqual([303, '/sources']);
    expect(ok.headers.get('Set-Cookie')).toMatch(/; HttpOnly; Secure; SameSite=Strict$/);
    expect((await login('http://localhost')).status).toBe(403);
  });

  it('accepts only an http(s) URL as api.publicUrl', () => {
    expect(ApiSettingsSchema.safeParse({ publicUrl: 'http://10.0.0.5:8080' }).success).toBe(true);
    expect(ApiSettingsSchema.safeParse({ publicUrl: 'ftp://meridian.example.com' }).success).toBe(false);
    expect(ApiSettingsSchema.safeParse({ publicUrl: 'meridian.example.com' }).success).toBe(false);
  });
});

describe('dashboard decisions', () => {
  const OPS = 'dashboard-unit-decide-token';
  const authority: Authority = { admit: () => Promise.reject(new Error('no repository in this test')) };
  // A decision the server refuses never reaches Temporal, so the empty client is never called.
  const app = createApiApp({ client: {} as Client, authority, token: '', tokens: { ops: OPS } });
  const decide = (body: string) =>
    app.request('/runbooks/runbook%3Ax%3Ay/decide', { method: 'POST', headers: { Cookie: `meridian_session=${OPS}`, Origin: 'http://localhost', 'Content-Type': 'application/x-www-form-urlencoded' }, body });

  it('refuses a decision that is neither approve nor reject (Enter in a shared form sent none)', async () => {
    const missing = await decide('step=sign-off&note=looks+wrong');
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('a decision must be approve or reject');
    expect((await decide('step=sign-off&decision=yes')).status).toBe(400);
  });

  it('renders each decision as its own form with one submit button, so Enter in its note sends that decision', () => {
    for (const decision of ['approve', 'reject'] as const) {
      const form = decisionForm('runbook:x:y', 'sign-off', decision).text;
      expect(form.match(/<form /g)).toHaveLength(1);
      expect(form.match(/type="submit"/g)).toHaveLength(1);
      expect(form.match(/name="decision" value="(\w+)"/g)).toEqual([`name="decision" value="${decision}"`]);
      expect(form).toContain('name="note"');
    }
  });
});

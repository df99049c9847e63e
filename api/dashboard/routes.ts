// The dashboard's routes, served by `meridian server` beside the API: GET /login and POST /login
// (a token of the API in a form → the session cookie), POST /logout, the pages (/ is the Sources
// page) and POST /runbooks/:execution/decide (approve or reject a waiting step as the signed-in
// identity, through control/runbooks.ts). Each route carries its own guard, so nothing here
// touches the API's /v1 routes; a failure renders the page with the error's one-line message.

import type { Client } from '@temporalio/client';
import type { Context, Hono } from 'hono';
import { decideStep } from '../../control/runbooks.js';
import { sdkWorkflowCalls } from '../../control/sdkWorkflowCalls.js';
import { requestIdentity, type TokenIdentifier } from '../auth.js';
import { toHttpError } from '../errors.js';
import type { DashboardConfig } from './fleet.js';
import { html, type Html } from './html.js';
import { page, PAGES, type Flash } from './layout.js';
import { operationsPage } from './pages/operations.js';
import { repositoriesPage } from './pages/repositories.js';
import { runbooksPage } from './pages/runbooks.js';
import { schedulesPage } from './pages/schedules.js';
import { slasPage } from './pages/slas.js';
import { sourcesPage } from './pages/sources.js';
import { dashboardGuard, endSession, requireSession, startSession } from './session.js';

export interface DashboardDeps {
  client: Client;
  identify: TokenIdentifier;
  config?: DashboardConfig;
}

/** How often the Operations page reloads itself while something runs. */
const OPERATIONS_REFRESH_SECONDS = 5;

/** The paths the dashboard serves (HTML for a browser: not part of the API's OpenAPI document). */
export const DASHBOARD_PATHS: readonly string[] = ['/', '/login', '/logout', ...PAGES.map((p) => p.path), '/runbooks/:execution/decide'];

type PageBody = (now: Date) => Promise<Html | { body: Html; running: boolean }>;

export function addDashboardRoutes(app: Hono, deps: DashboardDeps): void {
  const { client } = deps;
  const config = deps.config ?? {};
  // api.publicUrl: the URL browsers use behind a reverse proxy, whose origin a POST must carry.
  const publicUrl = config.api?.publicUrl;
  const guard = dashboardGuard(publicUrl);
  const session = requireSession(deps.identify);

  const bodies: Record<(typeof PAGES)[number]['path'], PageBody> = {
    '/sources': (now) => sourcesPage(client, config, now),
    '/repositories': (now) => repositoriesPage(client, config, now),
    '/schedules': (now) => schedulesPage(client, now),
    '/operations': (now) => operationsPage(client, now),
    '/runbooks': (now) => runbooksPage(client, now),
    '/slas': (now) => slasPage(client, now),
  };
  const render = async (c: Context, path: keyof typeof bodies, flash?: Flash, status: 200 | 409 = 200) => {
    const title = PAGES.find((p) => p.path === path)!.title;
    const identity = requestIdentity(c);
    try {
      const rendered = await bodies[path](new Date());
      const { body, running } = rendered instanceof Object && 'body' in rendered ? rendered : { body: rendered, running: false };
      return c.html(page(title, path, body, { identity, ...(flash ? { flash } : {}), ...(running ? { refreshSeconds: OPERATIONS_REFRESH_SECONDS } : {}) }), status);
    } catch (err) {
      const error = toHttpError(err);
      if (error.code === 'internal_error') console.error(`[dashboard] ${c.req.path} failed:`, err);
      return c.html(page(title, path, html``, { identity, flash: { kind: 'error', text: error.message } }), error.status);
    }
  };

  app.get('/login', guard, (c) => c.html(loginPage()));
  app.post(
    '/login',
    guard, async (c) => {
      const token = String((await c.req.parseBody()).token ?? '').trim();
      if (token === '' || deps.identify(token) === undefined) return c.html(loginPage('That token is not valid.'), 401);
      startSession(c, token, publicUrl);
      return c.redirect('/sources', 303);
    },
  );
  app.post('/logout', guard, (c) => {
    endSession(c);
    return c.redirect('/login', 303);
  });
  app.get('/', guard, session, (c) => render(c, '/sources'));
  for (const { path } of PAGES) {
    app.get(path, guard, session, (c) => render(c, path, decidedFlash(c)));
  }
  app.post(
    '/runbooks/:execution/decide',
    guard, session, async (c) => {
      const form = await c.req.parseBody();
      const step = String(form.step ?? '');
      const decision = form.decision;
      if (decision !== 'approve' && decision !== 'reject') {
        return c.html(page('Runbooks', '/runbooks', html``, { identity: requestIdentity(c), flash: { kind: 'error', text: 'a decision must be approve or reject' } }), 400);
      }
      const note = String(form.note ?? '').trim();
      try {
        await decideStep(sdkWorkflowCalls(client), c.req.param('execution'), decision, { step, ...(note !== '' ? { note } : {}) }, requestIdentity(c));
      } catch (err) {
        return render(c, '/runbooks', { kind: 'error', text: `${decision === 'approve' ? 'Approval' : 'Rejection'} of ${step} refused: ${toHttpError(err).message}` }, 409);
      }
      return c.redirect(`/runbooks?decided=${decision}&step=${encodeURIComponent(step)}`, 303);
    },
  );
}

/** The note after a decision's redirect (the step's name comes back escaped, as any text). */
function decidedFlash(c: Context): Flash | undefined {
  const decided = c.req.query('decided');
  const step = c.req.query('step');
  if ((decided !== 'approve' && decided !== 'reject') || !step) return undefined;
  return { kind: 'info', text: `Step ${step} ${decided === 'approve' ? 'approved' : 'rejected'}.` };
}

function loginPage(error?: string): string {
  return page(
    'Sign in',
    undefined,
    html`<form method="post" action="/login" class="login"><label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button><p class="muted">MERIDIAN_API_TOKEN, or a token of meridian.yaml's api.tokens: your decisions are recorded under its name.</p></form>`,
    error ? { flash: { kind: 'error', text: error } } : {},
  );
}

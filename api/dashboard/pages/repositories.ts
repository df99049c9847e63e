// The Repositories page: every repository of meridian.yaml (where, region, snapshots and size as the
// SLA monitor last observed them, so no storage is listed here), every replica set with each
// replica's state and lag (replication/status.ts), and every failover entry's active region,
// region health and recent events (control/failover.ts).

import type { Client } from '@temporalio/client';
import { ControlError } from '../../../control/errors.js';
import { failoverStatus } from '../../../control/failover.js';
import { sdkWorkflowCalls } from '../../../control/sdkWorkflowCalls.js';
import { getReplicationStatus } from '../../../replication/status.js';
import { configFromUrl, describeConfig } from '../../../storage/config.js';
import type { FailoverState } from '../../../workflows/failoverDefs.js';
import { readMonitor, type DashboardConfig } from '../fleet.js';
import { duration } from '../../../control/format.js';
import { bytes, when } from '../format.js';
import { html, type Html } from '../html.js';

/** Recent failover events shown per entry. */
const EVENTS_SHOWN = 5;

export async function repositoriesPage(client: Client, config: DashboardConfig, now: Date): Promise<Html> {
  const repositories = config.repositories ?? {};
  const [monitor, sets, failovers] = await Promise.all([
    readMonitor(client),
    getReplicationStatus(sdkWorkflowCalls(client), { repositories, replication: config.replication ?? {} }, undefined, now),
    Promise.all(Object.keys(config.failover ?? {}).sort().map(async (name) => ({ name, read: await readFailover(client, config, name) }))),
  ]);
  const repositoryRows = Object.entries(repositories)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, entry]) => {
      const observed = monitor.view?.repositories.find((r) => r.repository === name);
      return html`<tr data-repository="${name}"><td><b>${name}</b></td><td><code>${describeConfig(configFromUrl(entry.url))}</code></td><td>${entry.region ?? '—'}</td><td>${observed?.snapshotCount ?? '—'}</td><td>${bytes(observed?.sizeBytes)}</td></tr>`;
    });
  const setTables = sets.map(
    (set) => html`<h2>Replica set ${set.name} <span class="muted">(${set.mode}${set.quorum !== undefined ? `, quorum ${set.quorum}` : ''}; primary ${set.primary.name}${set.primary.region ? ` in ${set.primary.region}` : ''})</span></h2>
${!set.running ? html`<p class="warn">Its workflow ${set.workflowId} is not running (meridian apply starts it).</p>` : set.unanswered ? html`<p class="warn">${set.unanswered}</p>` : ''}
<table><thead><tr><th>Replica</th><th>Region</th><th>State</th><th>Reachable</th><th>Lag</th><th>Behind</th><th>Last success</th></tr></thead><tbody>${set.replicas.map(
      (r) => html`<tr><td><b>${r.name}</b><br><code class="muted">${r.location}</code></td><td>${r.region ?? '—'}</td><td>${r.state}${r.lastError ? html`<br><span class="bad">${r.lastError.message}</span>` : ''}</td>
<td>${r.reachable === null ? '—' : r.reachable ? html`<span class="ok">yes</span>` : html`<span class="bad">no</span>`}</td><td>${r.lagSeconds === null ? '—' : duration(r.lagSeconds)}</td>
<td>${r.behind.snapshots} snapshots, ${bytes(r.behind.bytes)}</td><td>${when(r.lastSuccessAt, now)}</td></tr>`,
    )}</tbody></table>`,
  );
  return html`${monitor.note ? html`<p class="warn">${monitor.note}</p>` : ''}
<table><thead><tr><th>Repository</th><th>Location</th><th>Region</th><th>Snapshots</th><th>Size</th></tr></thead><tbody>${repositoryRows}</tbody></table>
${setTables.length > 0 ? setTables : html`<p class="muted">meridian.yaml defines no replica sets.</p>`}
${failovers.map(({ name, read }) => failoverSection(name, read, now))}`;
}

type FailoverRead = { state: FailoverState; note?: undefined } | { state?: undefined; note: string };

async function readFailover(client: Client, config: DashboardConfig, name: string): Promise<FailoverRead> {
  try {
    return { state: await failoverStatus(sdkWorkflowCalls(client), config, name) };
  } catch (err) {
    if (err instanceof ControlError) return { note: err.message };
    throw err;
  }
}

function failoverSection(name: string, read: FailoverRead, now: Date): Html {
  if (!read.state) return html`<h2>Failover ${name}</h2><p class="warn">${read.note}</p>`;
  const s = read.state;
  const regions = [s.primaryRegion, ...s.secondaryRegions].map((region) => {
    const health = s.regions[region];
    return html`<tr><td><b>${region}</b>${region === s.primaryRegion ? html` <span class="muted">(primary)</span>` : ''}</td><td>${region === s.activeRegion ? html`<span class="ok">active</span>` : 'standby'}</td>
<td>${health ? (health.healthy ? html`<span class="ok">healthy</span>` : html`<span class="bad">unhealthy</span> ${health.reason ?? ''}`) : '—'}</td><td>${when(health?.at, now)}</td></tr>`;
  });
  const events = s.events.slice(-EVENTS_SHOWN).reverse();
  return html`<h2>Failover ${name} <span class="muted">(replica set ${s.replication})</span></h2>
<p>Active region <b>${s.activeRegion}</b>${s.switching ? html` · <span class="warn">${s.switching.kind} ${s.switching.from} → ${s.switching.to} in progress since ${when(s.switching.since, now)}</span>` : ''}${
    s.awaitingDecision ? html` · <span class="bad">awaiting a decision: ${s.awaitingDecision.reason}</span>` : ''
  }${s.failbackPossible ? html` · <span class="warn">failback possible</span>` : ''}${s.needsResync.length > 0 ? html` · needs resync: ${s.needsResync.join(', ')}` : ''}</p>
<table><thead><tr><th>Region</th><th>Role</th><th>Health</th><th>Checked</th></tr></thead><tbody>${regions}</tbody></table>
<table><thead><tr><th>Event</th><th>When</th><th>From → to</th><th>Why</th></tr></thead><tbody>${
    events.length > 0
      ? events.map((e) => html`<tr><td>${e.kind} <span class="muted">(${e.trigger}${e.by ? `, ${e.by}` : ''})</span></td><td>${when(e.at, now)}</td><td>${e.from} → ${e.to}</td><td>${e.reason}</td></tr>`)
      : html`<tr><td colspan="4" class="muted">no events yet</td></tr>`
  }</tbody></table>`;
}

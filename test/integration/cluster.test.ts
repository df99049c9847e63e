// Meridian on a secured Temporal cluster: the test dev server behind a real TLS gateway
// (test/helpers/temporalGateway.ts) with certificates made by openssl. A `meridian worker` and
// the CLI configured the way the `temporal` CLI is (TEMPORAL_TLS_* variables, a temporal.toml
// profile, TEMPORAL_API_KEY, TEMPORAL_NAMESPACE) back up end to end; a missing client certificate,
// a wrong CA or a wrong API key is one line and exit 4; a server that refuses to register search
// attributes (as Temporal Cloud does) gets one warning naming them, and the worker goes on.

import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureSearchAttributes } from '../../worker/devServer.js';
import { temporalBinary } from '../../worker/temporalBinary.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/catalog.js';
import { meridianEnv, MeridianWorkerProcess, parseJson, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { eventually } from '../helpers/polling';
import { testAddress } from '../helpers/temporal';
import { startTemporalGateway, TemporalGateway } from '../helpers/temporalGateway';
import { makeTlsFiles, TlsFiles } from '../helpers/tlsFiles';
import { tempDir, writeTree } from '../helpers/trees';

const ADD_SEARCH_ATTRIBUTES = '/temporal.api.operatorservice.v1.OperatorService/AddSearchAttributes';
const API_KEY = 'meridian-test-api-key';

let work: string;
let tls: TlsFiles;
const workers: MeridianWorkerProcess[] = [];

/** The environment of a CLI or worker on `gateway`, with no Temporal setting inherited from the caller. */
function clusterEnv(queuePrefix: string, settings: Record<string, string>): NodeJS.ProcessEnv {
  const env = meridianEnv(work, queuePrefix, 'cluster passphrase', ['repo-mtls', 'repo-profile', 'repo-cloud'].map((repo) => path.join(work, repo)));
  for (const name of Object.keys(env)) if (name.startsWith('TEMPORAL_')) delete env[name];
  // No temporal.toml of the user running the tests.
  return { ...env, TEMPORAL_CONFIG_FILE: path.join(work, 'no-such-temporal.toml'), ...settings };
}

const meridian = (env: NodeJS.ProcessEnv, ...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 120_000 });

async function worker(env: NodeJS.ProcessEnv): Promise<MeridianWorkerProcess> {
  const started = await startMeridianWorker(env);
  workers.push(started);
  return started;
}

function expectBackedUp(run: Awaited<ReturnType<typeof meridian>>, files: number): void {
  expect(parseJson(run)).toMatchObject({ filesNew: files, filesSkipped: 0 });
}

beforeAll(() => {
  work = tempDir('cluster');
  tls = makeTlsFiles(work);
  writeTree(path.join(work, 'source'), { smallFiles: 5, largeFiles: [300 * 1024] });
});

afterAll(async () => {
  for (const started of workers) await started.stop('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('meridian on a cluster with mTLS', () => {
  let gateway: TemporalGateway;
  let mtls: Record<string, string>;
  beforeAll(async () => {
    gateway = await startTemporalGateway({ target: testAddress(), cert: tls.read(tls.serverCert), key: tls.read(tls.serverKey), clientCa: tls.read(tls.caCert) });
    mtls = {
      TEMPORAL_ADDRESS: gateway.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: tls.caCert,
      TEMPORAL_TLS_SERVER_NAME: tls.serverName,
      TEMPORAL_TLS_CLIENT_CERT_PATH: tls.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: tls.clientKey,
    };
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('TEMPORAL_TLS_* variables: a meridian worker and the CLI back up through the gateway', async () => {
    const env = clusterEnv('mtls', mtls);
    expect(await meridian(env, 'init', '--repo', path.join(work, 'repo-mtls'))).toMatchObject({ code: 0 });
    const started = await worker(env);
    expect(started.log()).toContain(`of ${gateway.address} (mTLS)`);
    const before = { ...gateway.counts };
    expectBackedUp(await meridian(env, 'backup', 'source', '--repo', path.join(work, 'repo-mtls'), '--json'), 8);
    expect(gateway.counts.sessions).toBeGreaterThan(before.sessions);
    expect(gateway.counts.forwarded).toBeGreaterThan(before.forwarded);
  });

  it('a temporal.toml profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) does the same', async () => {
    const toml = path.join(work, 'temporal.toml');
    writeFileSync(
      toml,
      [
        '[profile.cluster]',
        `address = "${gateway.address}"`,
        'namespace = "default"',
        '[profile.cluster.tls]',
        `server_ca_cert_path = "${tls.caCert}"`,
        `server_name = "${tls.serverName}"`,
        `client_cert_path = "${tls.clientCert}"`,
        `client_key_path = "${tls.clientKey}"`,
        '',
      ].join('\n'),
    );
    const env = clusterEnv('profile', { TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cluster' });
    expect(await meridian(env, 'init', '--repo', path.join(work, 'repo-profile'))).toMatchObject({ code: 0 });
    await worker(env);
    const before = gateway.counts.sessions;
    expectBackedUp(await meridian(env, 'backup', 'source', '--repo', path.join(work, 'repo-profile'), '--json'), 8);
    expect(gateway.counts.sessions).toBeGreaterThan(before);
  });

  it('without the client certificate, or trusting another CA, backup and worker exit 4 with one line', async () => {
    const { TEMPORAL_TLS_CLIENT_CERT_PATH: _cert, TEMPORAL_TLS_CLIENT_KEY_PATH: _key, ...noClientCert } = mtls;
    const cases = [
      { settings: noClientCert, reason: 'TLS handshake failed: tlsv13 alert certificate required' },
      { settings: { ...mtls, TEMPORAL_TLS_SERVER_CA_CERT_PATH: tls.otherCaCert }, reason: 'TLS handshake failed: self-signed certificate in certificate chain' },
    ];
    for (const { settings, reason } of cases) {
      const env = clusterEnv('refused', settings);
      for (const args of [['backup', 'source', '--repo', path.join(work, 'repo-mtls')], ...(settings === noClientCert ? [['worker']] : [])]) {
        const run = await meridian(env, ...args);
        expect(run).toMatchObject({ code: 4, stdout: '' });
        expect(run.stderr).toMatch(new RegExp(`^meridian: cannot reach Temporal at ${gateway.address.replace(/\./g, '\\.')} \\(m?TLS\\): ${reason} \\(\\w+\\)\n$`));
      }
    }
  });
});

describe('meridian on a cluster with an API key and its own namespace (as Temporal Cloud)', () => {
  let gateway: TemporalGateway;
  let namespace: string;
  let settings: Record<string, string>;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    gateway = await startTemporalGateway({
      target: testAddress(),
      cert: tls.read(tls.serverCert),
      key: tls.read(tls.serverKey),
      apiKey: API_KEY,
      refuse: [ADD_SEARCH_ATTRIBUTES],
    });
    namespace = `meridian-cloud-${Date.now().toString(36)}`;
    execFileSync(temporalBinary(), ['operator', 'namespace', 'create', '--namespace', namespace, '--address', testAddress()], { stdio: 'ignore' });
    settings = {
      TEMPORAL_ADDRESS: gateway.address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_API_KEY: API_KEY,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: tls.caCert,
      TEMPORAL_TLS_SERVER_NAME: tls.serverName,
    };
    env = clusterEnv('cloud', settings);
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('the worker warns once that it may not register the search attributes, naming them, and runs', async () => {
    const started = await worker(env);
    // The SDK's runtime forwards its log lines on its own schedule: the warning may follow "worker ready".
    const warned = () => started.log().split('\n').filter((line) => line.includes('refused to register the search attributes'));
    const warnings = await eventually('the warning', () => (warned().length > 0 ? warned() : undefined), 10_000);
    expect(warnings).toHaveLength(1);
    for (const name of Object.values(SEARCH_ATTRIBUTES)) expect(warnings[0]).toContain(name);
    expect(warnings[0]).toContain(namespace);
    expect(started.log()).toContain(`of ${gateway.address} (TLS, API key) (namespace ${namespace})`);
    expect(gateway.counts.refused).toBeGreaterThan(0);
    expect(gateway.counts.unauthenticated).toBe(0);
  });

  it('once they are registered out of band, a backup runs with the API key in that namespace', async () => {
    const direct = await Connection.connect({ address: testAddress() });
    try {
      await ensureSearchAttributes(direct, namespace);
    } finally {
      await direct.close();
    }
    expect(await meridian(env, 'init', '--repo', path.join(work, 'repo-cloud'))).toMatchObject({ code: 0 });
    const before = gateway.counts.forwarded;
    const callsBefore = gateway.calls.length;
    expectBackedUp(await meridian(env, 'backup', 'source', '--repo', path.join(work, 'repo-cloud'), '--json'), 8);
    expect(gateway.counts.forwarded).toBeGreaterThan(before);
    expect(gateway.counts.unauthenticated).toBe(0);
    // As the SDK does, the CLI names the namespace in a header on each call (Temporal Cloud routes by it).
    const cliCalls = gateway.calls.slice(callsBefore).filter(({ method }) => /StartWorkflowExecution|GetWorkflowExecutionHistory/.test(method));
    expect(cliCalls.length).toBeGreaterThanOrEqual(2);
    expect(cliCalls.filter((call) => call.namespace !== namespace)).toEqual([]);
  });

  it('a wrong API key is one line and exit 4', async () => {
    const run = await meridian({ ...env, TEMPORAL_API_KEY: 'wrong' }, 'backup', 'source', '--repo', path.join(work, 'repo-cloud'));
    expect(run).toMatchObject({ code: 4, stdout: '' });
    expect(run.stderr).toMatch(/^meridian: cannot reach Temporal at .* \(TLS, API key\): 16 UNAUTHENTICATED: missing or wrong API key\n$/);
    expect(gateway.counts.unauthenticated).toBeGreaterThan(0);
  });
});

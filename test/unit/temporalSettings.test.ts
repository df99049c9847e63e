// Connection settings read the way the `temporal` CLI reads them: TEMPORAL_* variables over the
// TEMPORAL_PROFILE profile of the temporal.toml at TEMPORAL_CONFIG_FILE; no address selects the
// embedded dev server, which takes no TLS or API key.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, EXIT } from '../../cli/exitCodes.js';
import { describeTarget, temporalSettings } from '../../cli/temporalSettings.js';

let dir: string;
let toml: string;
const base = () => ({ HOME: dir, MERIDIAN_HOME: path.join(dir, 'home'), TEMPORAL_CONFIG_FILE: toml });

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'meridian-settings-'));
  toml = path.join(dir, 'temporal.toml');
  writeFileSync(path.join(dir, 'ca.pem'), 'not checked here');
  writeFileSync(
    toml,
    [
      '[profile.default]',
      'namespace = "from-default-profile"',
      '[profile.cloud]',
      'address = "ns.acct.tmprl.cloud:7233"',
      'namespace = "ns.acct"',
      'api_key = "profile-key"',
      '[profile.mtls]',
      'address = "temporal.internal:7233"',
      '[profile.mtls.tls]',
      `server_ca_cert_path = "${path.join(dir, 'ca.pem')}"`,
      'server_name = "temporal.internal"',
      '',
    ].join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function usageErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.usage);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('temporalSettings', () => {
  it('no address anywhere: the embedded dev server, in the default profile\'s namespace', () => {
    expect(temporalSettings(base())).toMatchObject({ cluster: undefined, namespace: 'from-default-profile' });
    expect(temporalSettings({ ...base(), TEMPORAL_CONFIG_FILE: path.join(dir, 'missing.toml') })).toMatchObject({ cluster: undefined, namespace: 'default' });
  });

  it('an empty TEMPORAL_ADDRESS counts as unset', () => {
    expect(temporalSettings({ ...base(), TEMPORAL_ADDRESS: '' }).cluster).toBeUndefined();
  });

  it('a profile gives address, namespace and API key (which implies TLS); variables override it', () => {
    const cloud = temporalSettings({ ...base(), TEMPORAL_PROFILE: 'cloud' });
    expect(cloud).toMatchObject({ namespace: 'ns.acct', cluster: { address: 'ns.acct.tmprl.cloud:7233', apiKey: 'profile-key', tls: true } });
    expect(describeTarget(cloud.cluster!)).toBe('ns.acct.tmprl.cloud:7233 (TLS, API key)');
    const overridden = temporalSettings({ ...base(), TEMPORAL_PROFILE: 'cloud', TEMPORAL_NAMESPACE: 'other', TEMPORAL_API_KEY: 'env-key' });
    expect(overridden).toMatchObject({ namespace: 'other', cluster: { apiKey: 'env-key' } });
  });

  it('a profile\'s TLS table gives the CA and server name; client certificate variables make it mTLS', () => {
    const mtls = temporalSettings({ ...base(), TEMPORAL_PROFILE: 'mtls' });
    expect(mtls.cluster).toMatchObject({ address: 'temporal.internal:7233', tls: { serverNameOverride: 'temporal.internal' } });
    expect(describeTarget(mtls.cluster!)).toBe('temporal.internal:7233 (TLS)');
    const cert = path.join(dir, 'ca.pem');
    const withClient = temporalSettings({ ...base(), TEMPORAL_PROFILE: 'mtls', TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: cert });
    expect(describeTarget(withClient.cluster!)).toBe('temporal.internal:7233 (mTLS)');
  });

  it('TEMPORAL_TLS=true alone on an address is TLS with the system roots; TEMPORAL_TLS=false turns it off, API key or not', () => {
    const { cluster } = temporalSettings({ ...base(), TEMPORAL_ADDRESS: 'temporal.example:7233', TEMPORAL_TLS: 'true' });
    expect(describeTarget(cluster!)).toBe('temporal.example:7233 (TLS)');
    const plain = temporalSettings({ ...base(), TEMPORAL_ADDRESS: 'temporal.example:7233', TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' });
    expect(plain.cluster).toMatchObject({ tls: false, apiKey: 'k' });
    expect(describeTarget(plain.cluster!)).toBe('temporal.example:7233 (API key)');
  });

  it('TLS or an API key without an address is a usage error, not a silent embedded server', () => {
    expect(usageErrorOf(() => temporalSettings({ ...base(), TEMPORAL_API_KEY: 'k' }))).toMatch(/^TLS or an API key is configured for Temporal but no address/);
    expect(usageErrorOf(() => temporalSettings({ ...base(), TEMPORAL_TLS: 'true' }))).toMatch(/but no address/);
  });

  it("meridian.yaml's temporal section stands in for TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and MERIDIAN_TASK_QUEUE; the variables win", () => {
    const config = path.join(dir, 'meridian.yaml');
    writeFileSync(config, 'temporal:\n  address: temporal.gis.internal:7233\n  namespace: gis\n  taskQueue: gis-backups\n');
    const fromFile = temporalSettings({ ...base(), MERIDIAN_CONFIG: config });
    expect(fromFile).toMatchObject({ cluster: { address: 'temporal.gis.internal:7233' }, namespace: 'gis', taskQueue: 'gis-backups' });
    const fromEnv = temporalSettings({ ...base(), MERIDIAN_CONFIG: config, TEMPORAL_ADDRESS: 'other:7233', TEMPORAL_NAMESPACE: 'ns', MERIDIAN_TASK_QUEUE: 'q' });
    expect(fromEnv).toMatchObject({ cluster: { address: 'other:7233' }, namespace: 'ns', taskQueue: 'q' });
  });

  it('an unknown profile or an unreadable certificate is one usage error', () => {
    expect(usageErrorOf(() => temporalSettings({ ...base(), TEMPORAL_PROFILE: 'nope' }))).toMatch(/^cannot read the Temporal connection settings \(.*temporal\.toml\): Profile 'nope' not found/);
    const missing = path.join(dir, 'missing.pem');
    expect(usageErrorOf(() => temporalSettings({ ...base(), TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing }))).toContain(missing);
  });
});

// meridian.yaml failover entries and API tokens: a failover names an existing replica set (one
// entry per set), each of its regions is the region of exactly one repository of that set, each
// HTTP check counts toward one of its regions; token files are relative to the file and checked
// readable by checkSecrets without their content ever reaching a message.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkSecrets, parseConfig, readConfigText } from '../../config/load';
import { RepositoryError } from '../../core/errors';
import { configErrorOf, editedText } from '../helpers/configErrors';

const FILE = '/etc/meridian/meridian.yaml';

const EXAMPLE = `repositories:
  tiles-eu:
    url: /srv/eu
    region: eu
  tiles-us:
    url: /srv/us
    region: us
  tiles-ap:
    url: /srv/ap
    region: ap
replication:
  tiles:
    primary: tiles-eu
    replicas: [tiles-us, tiles-ap]
failover:
  tiles-dr:
    replication: tiles
    primaryRegion: eu
    secondaryRegions: [us, ap]
    healthCheckIntervalSecs: 1
    probeTimeout: 2s
    checks:
      - region: eu
        url: https://eu.example.com/healthz
api:
  tokens:
    alice: { file: tokens/alice }
`;

const errorOf = (text: string) => configErrorOf(text, FILE);
const edited = (from: string, to: string) => editedText(EXAMPLE, from, to);

describe('failover entries', () => {
  it('parse with their defaults, and token files are taken from the file directory', () => {
    const config = parseConfig(EXAMPLE, FILE);
    expect(config.failover['tiles-dr']).toMatchObject({ autoFailover: true, autoFailback: false, failoverThreshold: 3, failbackThreshold: 5, healthCheckIntervalSecs: 1, probeTimeout: 2000 });
    expect(config.failover['tiles-dr']!.checks![0]!.expectStatus).toBe(200);
    expect(config.api!.tokens).toEqual({ alice: { file: '/etc/meridian/tokens/alice' } });
  });

  it.each([
    ['a missing replica set', edited('    replication: tiles\n', '    replication: tile\n'), 17, 'failover.tiles-dr.replication', 'no replica set named "tile" in replication (known: tiles)'],
    ['a primary region with no member', edited('primaryRegion: eu', 'primaryRegion: sa'), 18, 'failover.tiles-dr.primaryRegion', 'no repository of replica set "tiles" has region "sa" (tiles-eu: eu, tiles-us: us, tiles-ap: ap)'],
    ['a secondary region with no member', edited('[us, ap]', '[us, sa]'), 19, 'failover.tiles-dr.secondaryRegions.1', 'no repository of replica set "tiles" has region "sa"'],
    ['a region with two members', edited('    region: ap\n', '    region: us\n'), 19, 'failover.tiles-dr.secondaryRegions.0', 'region "us" has 2 repositories of replica set "tiles" (tiles-us, tiles-ap); a region has one'],
    ['a member without a region', edited('    region: ap\n', ''), 18, 'failover.tiles-dr.secondaryRegions.1', 'no repository of replica set "tiles" has region "ap" (tiles-eu: eu, tiles-us: us, tiles-ap: no region)'],
    ['a check of another region', edited('      - region: eu', '      - region: sa'), 23, 'failover.tiles-dr.checks.0.region', 'region "sa" is not one of this failover\'s regions (eu, us, ap)'],
    ['a check URL with credentials', edited('url: https://eu.example.com', 'url: https://ops:s3cret@eu.example.com'), 24, 'failover.tiles-dr.checks.0.url', 'a check URL may not hold credentials (user:password@): they would be kept in the monitor\'s history'],
    ['two entries for one set', `${EXAMPLE.replace(/api:[\s\S]*$/, '')}  again:\n    replication: tiles\n    primaryRegion: us\n    secondaryRegions: [eu]\n`, 26, 'failover.again.replication', 'replica set "tiles" already has failover entry "tiles-dr"; a set has one'],
  ])('%s', (_what, text, line, keyPath, message) => {
    const error = errorOf(text);
    const expected = `${FILE}:${line}: ${keyPath}: ${message}`;
    expect(error.slice(0, expected.length)).toBe(expected);
    expect(error).not.toContain('\n');
  });

  it('never quotes a check URL’s credentials in the error', () => {
    expect(errorOf(edited('url: https://eu.example.com', 'url: https://ops:s3cret@eu.example.com'))).not.toContain('s3cret');
  });

  it('says when no replica sets are defined', () => {
    expect(errorOf('failover:\n  f:\n    replication: s\n    primaryRegion: a\n    secondaryRegions: [b]\n')).toBe(`${FILE}:3: failover.f.replication: no replica set named "s" in replication (none are defined)`);
  });
});

describe('checkSecrets of API tokens', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-config-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const secretError = (repositories?: string[]): string => {
    const file = path.join(dir, 'meridian.yaml');
    try {
      checkSecrets(readConfigText(fs.readFileSync(file, 'utf8'), file), {}, repositories);
    } catch (err) {
      expect((err as RepositoryError).code).toBe('invalid-argument');
      return (err as Error).message;
    }
    return '';
  };

  it('names the key of a missing or unreadable token file, and never its content', () => {
    fs.writeFileSync(path.join(dir, 'meridian.yaml'), EXAMPLE);
    const file = path.join(dir, 'meridian.yaml');
    expect(secretError()).toBe(`${file}:27: api.tokens.alice.file: cannot read token file ${path.join(dir, 'tokens/alice')}: ENOENT`);
    expect(secretError(['tiles-eu'])).toBe('');
    fs.mkdirSync(path.join(dir, 'tokens/alice'), { recursive: true });
    expect(secretError()).toBe(`${file}:27: api.tokens.alice.file: token file ${path.join(dir, 'tokens/alice')} is not a file`);
    fs.rmdirSync(path.join(dir, 'tokens/alice'));
    fs.writeFileSync(path.join(dir, 'tokens/alice'), 'alice-secret-token\n', { mode: 0o600 });
    expect(secretError()).toBe('');
    if (process.getuid?.() !== 0) {
      fs.chmodSync(path.join(dir, 'tokens/alice'), 0o000);
      const message = secretError();
      expect(message).toContain('api.tokens.alice.file: cannot read token file');
      expect(message).not.toContain('alice-secret-token');
    }
  });
});

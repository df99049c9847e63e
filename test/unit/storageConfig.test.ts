// Repository URLs and storage config objects: every scheme parses into its backend's config,
// credentials are refused in URLs, bad configs name the field, and a config object opens a
// working backend.

import fs from 'node:fs';
import path from 'node:path';
import { configFromUrl, describeConfig } from '../../storage/config';
import { openStorageFromConfig, parseRepositoryUrl } from '../../storage/open';
import { StorageError } from '../../storage/storage';
import { tempDir } from '../helpers/trees';

describe('repository URLs', () => {
  test.each([
    ['/srv/repo', { type: 'local', path: '/srv/repo' }],
    ['file:///srv/repo', { type: 'local', path: '/srv/repo' }],
    ['s3://gis/backups/nightly?region=eu-west-1&endpoint=http://127.0.0.1:8333&pathStyle=true', { type: 's3', bucket: 'gis', prefix: 'backups/nightly', region: 'eu-west-1', endpoint: 'http://127.0.0.1:8333', pathStyle: true }],
    ['gs://gis/meridian?project=p1', { type: 'gcs', bucket: 'gis', prefix: 'meridian', projectId: 'p1' }],
    ['azure://acct/container/a/b?endpoint=http://127.0.0.1:10000/acct', { type: 'azure', account: 'acct', container: 'container', prefix: 'a/b', endpoint: 'http://127.0.0.1:10000/acct' }],
  ])('%s', (url, expected) => {
    expect(configFromUrl(url)).toMatchObject(expected);
  });

  test('the display form carries no query and round-trips the location', () => {
    expect(parseRepositoryUrl('s3://gis/backups?region=eu-west-1')).toEqual({ scheme: 's3', display: 's3://gis/backups' });
    expect(describeConfig(configFromUrl('azure://acct/c'))).toBe('azure://acct/c');
  });

  test.each([
    ['relative/path', /must be absolute/],
    ['ftp://host/x', /unsupported repository URL scheme "ftp:\/\/"/],
    ['s3://AKIA:secret@bucket/x', /credentials do not belong in a repository URL/],
    ['s3://bucket/x?endpoint=not-a-url', /invalid storage configuration: endpoint/],
    ['azure://acct', /invalid storage configuration: container/],
    ['', /empty/],
  ])('%s is refused with one sentence', (url, message) => {
    let err: unknown;
    try {
      configFromUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ kind: 'permanent', message: expect.stringMatching(message) });
    expect((err as Error).message).not.toContain('secret');
  });
});

describe('storage config objects', () => {
  test('a local config object opens a working backend', async () => {
    const dir = tempDir('config-local');
    const storage = await openStorageFromConfig({ type: 'local', path: dir });
    await storage.put({ type: 'config', name: 'config' }, Buffer.from('x'));
    expect(fs.readFileSync(path.join(dir, 'config'), 'utf8')).toBe('x');
  });

  test('an unknown field or a missing bucket is refused, naming it', async () => {
    await expect(openStorageFromConfig({ type: 'local', path: '/x', extra: 1 } as never)).rejects.toMatchObject({ kind: 'permanent', message: expect.stringContaining('invalid storage configuration') });
    await expect(openStorageFromConfig({ type: 's3', bucket: '' } as never)).rejects.toMatchObject({ kind: 'permanent', message: expect.stringContaining('bucket') });
  });
});

// Object keys of the cloud backends (prefixing, and which listed keys are repository files) and
// the redaction of unexplained SDK messages.

import { safeDetail } from '../../storage/cloudCalls';
import { ObjectKeys } from '../../storage/objectKeys';

const id = 'ab' + '0'.repeat(62);

test('keys sit under the prefix, without a leading slash when there is none', () => {
  expect(new ObjectKeys('').key({ type: 'config', name: 'config' })).toBe('config');
  expect(new ObjectKeys('/team/repo/').key({ type: 'data', name: id })).toBe(`team/repo/data/ab/${id}`);
  expect(new ObjectKeys('repo').listPrefix('config')).toBe('repo/config');
  expect(new ObjectKeys('repo').listPrefix('index')).toBe('repo/index/');
  expect(() => new ObjectKeys('repo').key({ type: 'data', name: '../x' })).toThrow(/invalid data name/);
});

test('only keys laid out like repository files of the listed type have a name', () => {
  const keys = new ObjectKeys('repo');
  expect(keys.nameOf('data', `repo/data/ab/${id}`)).toBe(id);
  expect(keys.nameOf('index', `repo/index/${id}`)).toBe(id);
  expect(keys.nameOf('config', 'repo/config')).toBe('config');
  for (const [type, key] of [
    ['data', `repo/data/cd/${id}`],
    ['data', `repo/data/ab/x/${id}`],
    ['index', `repo/index/sub/${id}`],
    ['index', 'repo/index/'],
    ['config', 'repo/config.bak'],
  ] as const) {
    expect(keys.nameOf(type, key)).toBeUndefined();
  }
});

test('safeDetail keeps the first line and cuts URL queries and account keys', () => {
  const err = new Error('request to https://acct.blob.core.windows.net/c/x?sv=2024&sig=abc%2F failed\nmore');
  expect(safeDetail(err)).toBe('request to https://acct.blob.core.windows.net/c/x?… failed');
  expect(safeDetail(new Error('bad AccountName=a;AccountKey=c2VjcmV0;EndpointSuffix=x'))).toBe('bad AccountName=a;AccountKey=…;EndpointSuffix=x');
});

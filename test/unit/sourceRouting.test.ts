// A backup of a source of meridian.yaml goes to the source's host: its taskQueue and host fill the
// input's when the input names no data task queue; other backups are left as they are, and a path
// two sources on different hosts share is refused rather than guessed.

import { routedToSource, SourceEntries } from '../../config/sourceRouting';
import { RepositoryError } from '../../core/errors';

const config: SourceEntries = {
  sources: {
    tiles: { path: '/data/gis/tiles', repository: 'gis', host: 'gis-a', taskQueue: 'host-a' },
    rasters: { path: '/srv/rasters', repository: 'gis', taskQueue: 'host-b' },
    local: { path: '/srv/local', repository: 'gis' },
    'shared-a': { path: '/mnt/shared', repository: 'gis', host: 'gis-a', taskQueue: 'host-a' },
    'shared-b': { path: '/mnt/shared', repository: 'gis', host: 'gis-b', taskQueue: 'host-b' },
    'tiles-again': { path: '/data/gis/tiles/', repository: 'gis', host: 'gis-a', taskQueue: 'host-a' },
  },
};

test("a backup of a source gets the source's task queue and host", () => {
  expect(routedToSource({ repo: 'gis', path: '/data/gis/tiles', type: 'full' }, config)).toEqual({ repo: 'gis', path: '/data/gis/tiles', type: 'full', dataTaskQueue: 'host-a', host: 'gis-a' });
  expect(routedToSource({ repo: 'gis', path: '/srv/rasters' }, config)).toEqual({ repo: 'gis', path: '/srv/rasters', dataTaskQueue: 'host-b' });
});

test('a host the input names is kept; a data task queue it names wins over the source', () => {
  expect(routedToSource({ repo: 'gis', path: '/data/gis/tiles', host: 'renamed' }, config)).toEqual({ repo: 'gis', path: '/data/gis/tiles', host: 'renamed', dataTaskQueue: 'host-a' });
  const explicit = { repo: 'gis', path: '/data/gis/tiles', dataTaskQueue: 'elsewhere' };
  expect(routedToSource(explicit, config)).toBe(explicit);
});

test('a backup of no routed source, of another repository, or without a file is left as it is', () => {
  for (const input of [{ repo: 'gis', path: '/srv/local' }, { repo: 'gis', path: '/srv/other' }, { repo: 'other', path: '/srv/rasters' }, { repo: '/srv/repo', path: '/srv/rasters' }]) {
    expect(routedToSource(input, config)).toBe(input);
  }
  expect(routedToSource({ repo: 'gis', path: '/srv/rasters' }, undefined)).toEqual({ repo: 'gis', path: '/srv/rasters' });
  expect(routedToSource({ repo: 'gis', path: '/srv/rasters' }, {})).toEqual({ repo: 'gis', path: '/srv/rasters' });
});

test('a path that is a source of two hosts is refused with a one-line error naming them', () => {
  const refusal = (() => {
    try {
      routedToSource({ repo: 'gis', path: '/mnt/shared' }, config);
    } catch (err) {
      return err;
    }
  })();
  expect(refusal).toBeInstanceOf(RepositoryError);
  expect(refusal).toMatchObject({ code: 'invalid-argument', message: '/mnt/shared of gis is a source of several hosts in meridian.yaml (shared-a, shared-b): give dataTaskQueue (and host)' });
});

// Append-only access on the local backend, which refuses at its own level (no decorator), and the
// decorator the cloud backends get, here over the in-memory backend.

import { appendOnly } from '../../storage/appendOnly';
import { LocalStorage } from '../../storage/local';
import { MemoryStorage } from '../../storage/memory';
import { tempDir } from '../helpers/trees';
import { describeAppendOnly } from '../storage/appendOnlyConformance';

describeAppendOnly({
  name: 'local backend, its own mode',
  create: async () => {
    const root = tempDir('append-only');
    return { appendOnly: new LocalStorage(root, { appendOnly: true }), full: new LocalStorage(root) };
  },
});

describeAppendOnly({
  name: 'decorator over memory',
  create: async () => {
    const memory = new MemoryStorage();
    return { appendOnly: appendOnly(memory), full: memory };
  },
});

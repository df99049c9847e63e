// Runs the storage conformance suite against the local and in-memory backends.

import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalStorage } from '../../storage/local';
import { MemoryStorage } from '../../storage/memory';
import { describeStorageConformance } from '../storage/conformance';

describeStorageConformance({ name: 'memory', create: async () => new MemoryStorage() });
describeStorageConformance({ name: 'local', create: async () => new LocalStorage(mkdtempSync(path.join(os.tmpdir(), 'meridian-local-'))) });

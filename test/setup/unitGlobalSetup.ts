// Jest global setup of the unit project: the build under dist/, which engine threads and CLI
// tests run, must be as new as the sources.

import path from 'node:path';
import { assertBuildFresh } from './distFreshness';

export default function unitGlobalSetup(): void {
  assertBuildFresh(path.resolve(__dirname, '..', '..'));
}

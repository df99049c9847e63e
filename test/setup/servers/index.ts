// The object-storage servers the integration tests run against, started once per jest run by
// globalSetup. Each entry starts one real server on 127.0.0.1 and returns the environment
// variables that tests read to reach it (and a stop function).
// Note: globalSetup loads these files with plain require: import TypeScript siblings without
// the `.js` suffix.

import { startAzureServer } from './azure';
import { startGcsServer } from './gcs';
import { startS3Server } from './s3';

export interface StartedServer {
  name: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export type ServerStarter = () => Promise<StartedServer>;

export const OBJECT_SERVERS: ServerStarter[] = [startS3Server, startGcsServer, startAzureServer];

// Three regions for the replication tests, each its own storage behind its own fault proxy so that
// any one can be taken down and brought back alone: eu = a SeaweedFS (S3) bucket, us = a
// fake-gcs-server bucket, ap = an Azurite container (the copies cross clouds). Writes the
// meridian.yaml of replica sets over them (eu the primary) with one shared password file, and
// gives the oracle every replication test ends with: expectReplicaWhole.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { verify } from '../../core/checker';
import { readLockFolder } from '../../core/locks';
import { initReplica } from '../../core/replicaInit';
import { Repository } from '../../core/repository';
import { ReplicationMode } from '../../config/schema';
import { openStorage } from '../../storage/open';
import { FileType, ListedObject, Storage } from '../../storage/storage';
import { FaultProxy, startFaultProxy } from './faultProxy';
import { tempDir } from './trees';

export const REGION_NAMES = ['eu', 'us', 'ap'] as const;
export type RegionName = (typeof REGION_NAMES)[number];

/** Small chunks and 1 MiB packs: below GCS's 8 MiB resumable-upload threshold, whose session URLs would bypass the proxy. */
export const REGION_INIT_OPTIONS = { chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 }, packSizeMiB: 1 };

export interface Region {
  name: RegionName;
  /** The repository's name in meridian.yaml: `<set>-<region>`. */
  repository: string;
  /** Its URL through the region's fault proxy (what the worker and the CLI use). */
  url: string;
  /** Its URL straight to the server, for the tests' own listings while the proxy is down. */
  directUrl: string;
  proxy: FaultProxy;
  down(): void;
  up(): void;
}

export interface RegionsOptions {
  /** The replica set's name (also the prefix of its bucket and repository names). */
  set: string;
  mode?: ReplicationMode;
  quorum?: number;
  /** Default 0 (deletions reach replicas at once). */
  deleteGraceHours?: number;
  /** meridian.yaml duration; default `3s`. */
  syncTimeout?: string;
  /** Files copied at once to each replica (meridian.yaml `concurrency`). */
  concurrency?: number;
}

/** What the replica sets of one test file share: a folder, one passphrase in one password file, and one meridian.yaml. */
export interface RegionsHome {
  dir: string;
  passphrase: string;
  passwordFile: string;
  configFile: string;
}

export function regionsHome(prefix: string): RegionsHome {
  const dir = tempDir(prefix);
  const passphrase = `regions ${randomBytes(8).toString('hex')}`;
  const passwordFile = path.join(dir, 'replication.pass');
  fs.writeFileSync(passwordFile, `${passphrase}\n`, { mode: 0o600 });
  return { dir, passphrase, passwordFile, configFile: path.join(dir, 'meridian.yaml') };
}

/** One replica set over three regions (eu the primary). */
export interface Regions {
  options: RegionsOptions;
  home: RegionsHome;
  primary: Region;
  replicas: Region[];
  all: Region[];
  byName(name: RegionName): Region;
  /** Opens a region's repository straight (not through its proxy). */
  open(region: Region): Promise<Repository>;
  /** The names and sizes of one folder of a region's repository, straight from its server. */
  listing(region: Region, type: FileType): Promise<Map<string, number>>;
  /** Its lines of meridian.yaml: the three repositories, and the set. */
  configLines(): { repositories: string[]; replication: string[] };
  close(): Promise<void>;
}

function serverEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through jest, whose global setup starts the servers`);
  return value;
}

const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`.toLowerCase();

/** Where each region's server is, and its repository URL for a given endpoint. */
function regionBackends(bucketPrefix: string): Record<RegionName, { server: URL; url: (endpoint: string) => string }> {
  const s3 = new URL(serverEnv('MERIDIAN_TEST_S3_ENDPOINT'));
  const gcs = new URL(serverEnv('MERIDIAN_TEST_GCS_ENDPOINT'));
  const azure = new URL(serverEnv('MERIDIAN_TEST_AZURE_ENDPOINT'));
  const q = encodeURIComponent;
  return {
    eu: { server: s3, url: (endpoint) => `s3://${uniqueName(`${bucketPrefix}-eu`)}/repo?endpoint=${q(endpoint)}&pathStyle=true&region=us-east-1` },
    us: { server: gcs, url: (endpoint) => `gs://${uniqueName(`${bucketPrefix}-us`)}/repo?endpoint=${q(endpoint)}` },
    ap: { server: azure, url: (endpoint) => `azure://devstoreaccount1/${uniqueName(`${bucketPrefix}-ap`)}/repo?endpoint=${q(endpoint + azure.pathname)}` },
  };
}


/**
 * Starts the three proxies of a set and creates its primary (eu) with small packs. The replicas
 * are not initialised: `initReplicas` (or `meridian init --replica-of`) does that.
 */
export async function startRegions(home: RegionsHome, options: RegionsOptions): Promise<Regions> {
  const backends = regionBackends(options.set);
  const all: Region[] = [];
  for (const name of REGION_NAMES) {
    const { server, url } = backends[name];
    const proxy = await startFaultProxy({ target: { host: server.hostname, port: Number(server.port) }, failShare: 0 });
    // The same bucket both ways: build the proxied URL, then swap its endpoint for the server's.
    const proxied = url(proxy.url);
    const direct = proxied.replace(encodeURIComponent(proxy.url), encodeURIComponent(server.origin));
    all.push({ name, repository: `${options.set}-${name}`, url: proxied, directUrl: direct, proxy, down: () => proxy.setDown(true), up: () => proxy.setDown(false) });
  }
  const [primary, ...replicas] = all as [Region, ...Region[]];
  await Repository.init(await openStorage(primary.directUrl), home.passphrase, REGION_INIT_OPTIONS);

  const open = async (region: Region) => Repository.open(await openStorage(region.directUrl), home.passphrase);
  return {
    options,
    home,
    primary,
    replicas,
    all,
    byName: (name) => all.find((r) => r.name === name)!,
    open,
    listing: async (region, type) => listing(await openStorage(region.directUrl), type),
    configLines: () => {
      const entry = [
        `primary: ${primary.repository}`,
        `replicas: [${replicas.map((r) => r.repository).join(', ')}]`,
        `mode: ${options.mode ?? 'async'}`,
        ...(options.quorum !== undefined ? [`quorum: ${options.quorum}`] : []),
        `deleteGraceHours: ${options.deleteGraceHours ?? 0}`,
        `syncTimeout: ${options.syncTimeout ?? '3s'}`,
        ...(options.concurrency !== undefined ? [`concurrency: ${options.concurrency}`] : []),
      ];
      return {
        repositories: all.map((r) => `  ${r.repository}: { url: "${r.url}", region: ${r.name}, passwordFile: ${home.passwordFile} }`),
        replication: [`  ${options.set}: { ${entry.join(', ')} }`],
      };
    },
    async close() {
      await Promise.all(all.map((r) => r.proxy.close()));
    },
  };
}

/** Writes the home's meridian.yaml with these sets (their repositories and replication entries). */
export function writeRegionsConfig(home: RegionsHome, sets: Regions[]): void {
  const lines = sets.map((s) => s.configLines());
  const yaml = ['repositories:', ...lines.flatMap((l) => l.repositories), 'replication:', ...lines.flatMap((l) => l.replication)];
  fs.writeFileSync(home.configFile, `${yaml.join('\n')}\n`);
}

/** Makes each replica of the set a replica of its primary (core initReplica, straight to the servers). */
export async function initReplicas(regions: Regions): Promise<void> {
  const primary = await regions.open(regions.primary);
  for (const replica of regions.replicas) await initReplica(primary, await openStorage(replica.directUrl));
}

/** The names and sizes of one folder of a storage. */
export async function listing(storage: Storage, type: FileType): Promise<Map<string, number>> {
  const files = new Map<string, number>();
  for await (const entry of storage.list(type) as AsyncIterable<ListedObject>) files.set(entry.name, entry.size);
  return files;
}

/**
 * The oracle of a finished replication: the replica opens with the shared passphrase as a
 * repository of its own, verifies clean at standard level (every snapshot's trees and blobs are
 * indexed and every indexed pack exists), holds the primary's config bytes, the same keys, packs,
 * index and snapshot files (names and sizes), and in locks/ only its replica-state document.
 */
export async function expectReplicaWhole(regions: Regions, replica: Region): Promise<void> {
  const repo = await regions.open(replica);
  const primaryStorage = await openStorage(regions.primary.directUrl);
  const config = { type: 'config' as const, name: 'config' };
  expect(Buffer.from(await repo.storage.get(config)).equals(Buffer.from(await primaryStorage.get(config)))).toBe(true);

  const report = await verify(repo, { level: 'standard' });
  expect({ ok: report.ok, problems: report.problems }).toEqual({ ok: true, problems: [] });
  expect(report.checked.snapshots).toBeGreaterThan(0);

  for (const type of ['keys', 'data', 'index', 'snapshots'] as const) {
    const [onPrimary, onReplica] = await Promise.all([listing(primaryStorage, type), listing(repo.storage, type)]);
    expect({ type, files: [...onReplica].sort() }).toEqual({ type, files: [...onPrimary].sort() });
  }
  const locks = await readLockFolder(repo);
  expect(locks.unreadable).toEqual([]);
  expect(locks.documents.map((d) => d.kind)).toEqual(['replica-state']);
}

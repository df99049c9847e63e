// The outage drill's regions: each its own SeaweedFS server process (the test servers' own
// starter, on a kept folder and fixed ports) behind a fault proxy, so that a test can really stop a
// region (the server is killed) and start it again on the same data and port. Writes the
// meridian.yaml of replica sets over them with a failover entry each (short interval, small
// thresholds), and creates every set's primary and `init --replica-of` replicas.

import fs from 'node:fs';
import path from 'node:path';
import { initReplica } from '../../core/replicaInit';
import { Repository } from '../../core/repository';
import { openStorage } from '../../storage/open';
import { FileType } from '../../storage/storage';
import { freePorts } from '../../worker/freePorts';
import { startS3Server } from '../setup/servers/s3';
import type { StartedServer } from '../setup/servers/index';
import { FaultProxy, startFaultProxy } from './faultProxy';
import { listing, REGION_INIT_OPTIONS, RegionsHome } from './regions';

/** One region: a SeaweedFS server of its own, reached through its proxy. */
export interface DrillServer {
  region: string;
  /** `http://127.0.0.1:PORT` of the proxy (what repository URLs name). */
  endpoint: string;
  /** The server's own S3 endpoint. */
  directEndpoint: string;
  proxy: FaultProxy;
  /** Kills the server's process group: nothing answers behind the proxy until start(). */
  stop(): Promise<void>;
  /** Starts the server again on the same folder and ports; resolves once it answers. */
  start(): Promise<void>;
  running(): boolean;
}

/** The servers of one drill, in region order (the first is every set's primary region). */
export interface DrillServers {
  home: RegionsHome;
  servers: DrillServer[];
  byRegion(region: string): DrillServer;
  close(): Promise<void>;
}

function s3Secret(): string {
  const secret = process.env.AWS_SECRET_ACCESS_KEY;
  if (!secret) throw new Error('AWS_SECRET_ACCESS_KEY is not set: run integration tests through jest, whose global setup starts the servers');
  return secret;
}

/** Starts one SeaweedFS server per region, under the identity jest's global setup gave the tests. */
export async function startDrillServers(home: RegionsHome, regions: string[]): Promise<DrillServers> {
  const servers: DrillServer[] = [];
  const close = async () => {
    await Promise.all(servers.map(async (s) => {
      await s.stop();
      await s.proxy.close();
    }));
  };
  try {
    for (const region of regions) servers.push(await startDrillServer(home, region));
  } catch (err) {
    await close();
    throw err;
  }
  return { home, servers, byRegion: (region) => servers.find((s) => s.region === region)!, close };
}

async function startDrillServer(home: RegionsHome, region: string): Promise<DrillServer> {
  const kept = { dir: path.join(home.dir, `server-${region}`), ports: await freePorts(8) };
  fs.mkdirSync(kept.dir, { recursive: true });
  const secret = s3Secret();
  const launch = () => startS3Server({ secret, kept });
  let server: StartedServer | undefined = await launch();
  const directEndpoint = server.env.MERIDIAN_TEST_S3_ENDPOINT!;
  const direct = new URL(directEndpoint);
  const proxy = await startFaultProxy({ target: { host: direct.hostname, port: Number(direct.port) }, failShare: 0 });
  return {
    region,
    endpoint: proxy.url,
    directEndpoint,
    proxy,
    async stop() {
      const running = server;
      server = undefined;
      await running?.stop();
    },
    async start() {
      if (server) throw new Error(`the ${region} server is running already`);
      server = await launch();
    },
    running: () => server !== undefined,
  };
}

/** A set's member in one region. */
export interface DrillMember {
  region: string;
  /** Its name in meridian.yaml: `<set>-<region>`. */
  repository: string;
  /** Through the region's proxy (what the worker uses). */
  url: string;
  /** Straight to the server, for the test's own reads. */
  directUrl: string;
}

export interface DrillFailoverSettings {
  /** Default true. */
  autoFailover?: boolean;
  autoFailback: boolean;
  healthCheckIntervalSecs: number;
  failoverThreshold: number;
  failbackThreshold: number;
  /** Milliseconds (written to meridian.yaml as `<n>ms`). */
  probeTimeoutMs: number;
}

/** A replica set over the drill's regions with its failover entry of the same name. */
export interface DrillSet {
  name: string;
  members: DrillMember[];
  primary: DrillMember;
  failover: DrillFailoverSettings;
  member(region: string): DrillMember;
  open(member: DrillMember): Promise<Repository>;
  /** A folder's names and sizes, straight from the member's server (which must be running). */
  listing(member: DrillMember, type: FileType): Promise<Map<string, number>>;
}

const bucketSuffix = () => Date.now().toString(36).slice(-6);

/** Creates the set's primary (first region) and makes the other members replicas of it, straight to the servers. */
export async function createDrillSet(servers: DrillServers, name: string, failover: DrillFailoverSettings): Promise<DrillSet> {
  const suffix = bucketSuffix();
  const members = servers.servers.map((server) => {
    const url = (endpoint: string) => `s3://${name}-${server.region}-${suffix}/repo?endpoint=${encodeURIComponent(endpoint)}&pathStyle=true&region=us-east-1`;
    return { region: server.region, repository: `${name}-${server.region}`, url: url(server.endpoint), directUrl: url(server.directEndpoint) };
  });
  const [primary, ...replicas] = members as [DrillMember, ...DrillMember[]];
  const passphrase = servers.home.passphrase;
  const primaryRepo = await Repository.init(await openStorage(primary.directUrl), passphrase, REGION_INIT_OPTIONS);
  for (const replica of replicas) await initReplica(primaryRepo, await openStorage(replica.directUrl));
  return {
    name,
    members,
    primary,
    failover,
    member: (region) => members.find((m) => m.region === region)!,
    open: async (member) => Repository.open(await openStorage(member.directUrl), passphrase),
    listing: async (member, type) => listing(await openStorage(member.directUrl), type),
  };
}

/** Writes the home's meridian.yaml: every set's repositories (with region labels), its replication entry and its failover entry. */
export function writeDrillConfig(home: RegionsHome, sets: DrillSet[]): void {
  const lines = ['repositories:'];
  for (const set of sets) {
    for (const m of set.members) lines.push(`  ${m.repository}: { url: "${m.url}", region: ${m.region}, passwordFile: ${home.passwordFile} }`);
  }
  lines.push('replication:');
  for (const set of sets) {
    const replicas = set.members.filter((m) => m !== set.primary).map((m) => m.repository);
    lines.push(`  ${set.name}: { primary: ${set.primary.repository}, replicas: [${replicas.join(', ')}], mode: async, deleteGraceHours: 0 }`);
  }
  lines.push('failover:');
  for (const set of sets) {
    const f = set.failover;
    const secondaries = set.members.filter((m) => m !== set.primary).map((m) => m.region);
    lines.push(
      `  ${set.name}: { replication: ${set.name}, primaryRegion: ${set.primary.region}, secondaryRegions: [${secondaries.join(', ')}], autoFailover: ${f.autoFailover ?? true}, autoFailback: ${f.autoFailback}, ` +
        `healthCheckIntervalSecs: ${f.healthCheckIntervalSecs}, failoverThreshold: ${f.failoverThreshold}, failbackThreshold: ${f.failbackThreshold}, probeTimeout: ${f.probeTimeoutMs}ms }`,
    );
  }
  fs.writeFileSync(home.configFile, `${lines.join('\n')}\n`);
}

// The usage line of each `meridian` command (shown by `--help` and named by usage errors) and the
// overall help with the environment the command reads.

import { DEFAULT_TASK_QUEUE } from '../workflows/shared.js';

export const USAGE = {
  init:
    'meridian init --repo URL [--compression zstd|lz4|gzip|none] [--compression-level fastest|default|better|best] ' +
    '[--chunk-min BYTES --chunk-avg BYTES --chunk-max BYTES] [--pack-size MIB] [--no-encryption]',
  backup: 'meridian backup PATH --repo URL [--type full|incremental|differential] [--tag T]... [--exclude GLOB]... [--json]',
  snapshots: 'meridian snapshots --repo URL [--json]',
  restore: 'meridian restore SNAPSHOT|latest --repo URL --target DIR [--include GLOB]... [--exclude GLOB]... [--json]',
  verify: 'meridian verify [SNAPSHOT] --repo URL [--level quick|standard|deep] [--sample-percent N] [--json]',
  repair: 'meridian repair index|snapshots --repo URL [--json]',
  key: 'meridian key add|list|remove [ID] --repo URL [--new-password-file FILE]',
  worker: 'meridian worker',
  server: 'meridian server [--port N]',
} as const;

export type CommandName = keyof typeof USAGE;

const COMMAND_NAMES = Object.keys(USAGE) as CommandName[];

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(USAGE, name);
}

export function fullUsage(): string {
  return [
    'Usage:',
    ...COMMAND_NAMES.map((name) => `  ${USAGE[name]}`),
    '',
    'The passphrase comes from MERIDIAN_PASSWORD or --password-file FILE, never from the command line;',
    'the new passphrase of `key add` from MERIDIAN_NEW_PASSWORD or --new-password-file FILE.',
    '',
    'Environment:',
    '  TEMPORAL_ADDRESS     Temporal frontend (host:port); when unset (and no temporal.toml profile has one),',
    '                       a local dev server is started or reused under MERIDIAN_HOME and the work runs in',
    '                       this process',
    "  TEMPORAL_NAMESPACE   Temporal namespace (default 'default')",
    '  TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME,',
    '  TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE',
    '                       TLS, mTLS, API key and temporal.toml profiles, as the temporal CLI reads them',
    '  MERIDIAN_HOME        state folder (default ~/.meridian)',
    `  MERIDIAN_TASK_QUEUE  task queue of the workers (default ${DEFAULT_TASK_QUEUE})`,
    '  MERIDIAN_API_TOKEN   bearer token of the HTTP API (`meridian server` refuses to start without one)',
    '  MERIDIAN_API_PORT    port of the HTTP API (default 8080)',
    '',
    'Exit codes: 0 ok, 1 the operation failed (also: a restore target that cannot be written, a full',
    'disk under a local repository), 2 usage or bad input, 3 repository or key problem (also: storage',
    'refusing for good, e.g. permission denied), or a backup that skipped unreadable entries (listed on',
    'stderr), 4 Temporal, its embedded dev server or storage unavailable (a retry may help).',
  ].join('\n');
}

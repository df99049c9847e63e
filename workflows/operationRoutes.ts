// The HTTP API routes that start operations, by operation name: the path the API serves, its
// OpenAPI summary and its request schema's name. The operation catalog (workflows/catalog.ts)
// gives each operation its route from here; this file imports nothing, so that the CLI, when it
// goes through the API, learns an operation's route without loading the catalog's Temporal SDK.

export interface OperationRoute {
  path: string;
  summary: string;
  request: string;
}

export const OPERATION_ROUTES = {
  backup: { path: '/v1/backups', summary: 'Back up a directory into a repository', request: 'BackupRequest' },
  restore: { path: '/v1/restores', summary: 'Restore a snapshot into a directory', request: 'RestoreRequest' },
  verify: { path: '/v1/verifications', summary: 'Verify a repository or one snapshot', request: 'VerificationRequest' },
  forget: { path: '/v1/forgets', summary: 'Forget snapshots by a retention policy, or by id', request: 'ForgetRequest' },
  prune: { path: '/v1/prunes', summary: 'Prune a repository: delete and repack packs of unused data (one prune per repository at a time)', request: 'PruneRequest' },
  'immutable-maintenance': { path: '/v1/immutable/maintenance', summary: 'Extend the Object Lock retention of the files of an immutable repository and delete its expired old versions', request: 'ImmutableMaintenanceRequest' },
  'key-rotation': { path: '/v1/keys/rotation', summary: 'Carry on the key rotation that meridian key rotate started: seal every file again under the new key, then destroy the retired one', request: 'KeyRotationRequest' },
  'pg-backup': { path: '/v1/pg/backups', summary: 'Take a base backup of a PostgreSQL cluster', request: 'PgBackupRequest' },
  'pg-restore': { path: '/v1/pg/restores', summary: 'Restore a PostgreSQL cluster as of a time (base backup + archived WAL)', request: 'PgRestoreRequest' },
  'pg-verify': { path: '/v1/pg/verifications', summary: "Check a PostgreSQL cluster's archived WAL for gaps from each kept base backup; with retention, delete the WAL none needs", request: 'PgVerificationRequest' },
  'restore-at': { path: '/v1/restores/at', summary: 'Restore a source as it was at a time (its snapshot and change journal)', request: 'RestoreAtRequest' },
  unlock: { path: '/v1/unlocks', summary: 'Remove the stale locks of a repository (with force, every lock: only when nothing else runs on it)', request: 'UnlockRequest' },
  'repair-index': { path: '/v1/repairs/index', summary: "Rebuild a repository's index from the headers of its packs", request: 'RepairRequest' },
  'repair-snapshots': { path: '/v1/repairs/snapshots', summary: 'Rewrite the snapshots that reference lost data, without it (tagged "repaired")', request: 'RepairRequest' },
} as const satisfies Record<string, OperationRoute>;

// The workflow bundle's entry point: every workflow type the worker registers.

export { backupWorkflow, forgetWorkflow, pruneWorkflow, repairIndexWorkflow, repairSnapshotsWorkflow, restoreWorkflow, unlockWorkflow, verifyWorkflow } from './operations.js';
export { replicationTickWorkflow, replicationVerifyWorkflow, replicationWorkflow } from './replication.js';
export { scheduledBackupWorkflow } from './scheduledBackup.js';
export { scrubWorkflow } from './scrub.js';

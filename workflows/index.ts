// The workflow bundle's entry point: every workflow type the worker registers.

export {
  backupWorkflow,
  forgetWorkflow,
  pgBackupWorkflow,
  pgRestoreWorkflow,
  pgVerifyWorkflow,
  immutableMaintenanceWorkflow,
  keyRotationWorkflow,
  pruneWorkflow,
  repairIndexWorkflow,
  repairSnapshotsWorkflow,
  restoreAtWorkflow,
  restoreWorkflow,
  unlockWorkflow,
  verifyWorkflow,
} from './operations.js';
export { replicationTickWorkflow, replicationVerifyWorkflow, replicationWorkflow } from './replication.js';
export { scheduledBackupWorkflow } from './scheduledBackup.js';
export { scrubWorkflow } from './scrub.js';
export { failoverMonitorWorkflow } from './failover.js';
export { runbookWorkflow } from './runbook.js';
export { slaMonitorWorkflow } from './sla.js';
export { journalWorkflow } from './journal.js';

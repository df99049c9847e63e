// The workflow bundle's entry point: every workflow type the worker registers.

export { backupWorkflow, repairIndexWorkflow, repairSnapshotsWorkflow, restoreWorkflow, verifyWorkflow } from './operations.js';

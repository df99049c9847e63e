// The workflow bundle's entry point: every workflow type the worker registers.

export { backupWorkflow, restoreWorkflow, verifyWorkflow } from './operations.js';

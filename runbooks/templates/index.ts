// The built-in runbook templates, by name: documented runbooks for the common disaster-recovery
// procedures, each in its own file. A meridian.yaml entry or a runbooks-directory file of the same
// name shadows one.

import { datacenterFailover } from './datacenterFailover.js';
import { ransomwareRecovery } from './ransomwareRecovery.js';
import { regionEvacuation } from './regionEvacuation.js';
import { restoreDrill } from './restoreDrill.js';
import type { RunbookTemplate } from './template.js';

export const RUNBOOK_TEMPLATES: Record<string, RunbookTemplate> = {
  'datacenter-failover': datacenterFailover,
  'region-evacuation': regionEvacuation,
  'ransomware-recovery': ransomwareRecovery,
  'restore-drill': restoreDrill,
};

// The operation catalog (workflows/catalog.ts) against what uses it: every operation has an
// exported workflow of its type and an activity, every other exported workflow is one only Schedules start or
// replication's (a replica set's, not a repository's), every
// API route has a request schema, and repository labels agree with the storage layer's display.

import { createActivities } from '../../activities/index';
import { OPERATION_REQUEST_SCHEMAS, requestSchemaOf } from '../../api/schemas';
import { parseRepositoryUrl } from '../../storage/open';
import { Operation, OPERATION_NAMES, operationOfWorkflowType, OPERATIONS, operationSearchAttributes, repositoryLabel } from '../../workflows/catalog';
import * as workflows from '../../workflows/index';

describe('the operation catalog', () => {
  it('names every workflow the bundle exports but the scheduled, replication, failover-monitor, runbook, SLA-monitor and journal ones, each with an activity the worker registers', () => {
    const catalogued = OPERATION_NAMES.map((o) => OPERATIONS[o].workflowType);
    const others = Object.keys(workflows).filter((type) => !catalogued.includes(type));
    expect(others.sort()).toEqual(['failoverMonitorWorkflow', 'journalWorkflow', 'replicationTickWorkflow', 'replicationVerifyWorkflow', 'replicationWorkflow', 'runbookWorkflow', 'scheduledBackupWorkflow', 'scrubWorkflow', 'slaMonitorWorkflow']);
    expect(catalogued.filter((type) => !(type in workflows))).toEqual([]);
    const activities = createActivities({ authority: { admit: () => Promise.reject(new Error('unused')) } });
    for (const operation of OPERATION_NAMES) {
      expect(typeof workflows[OPERATIONS[operation].workflowType as keyof typeof workflows]).toBe('function');
      expect(typeof activities[OPERATIONS[operation].activity]).toBe('function');
      expect(operationOfWorkflowType(OPERATIONS[operation].workflowType)).toBe(operation);
    }
    expect(operationOfWorkflowType('someoneElsesWorkflow')).toBeUndefined();
  });

  it('has a request schema for each operation the API starts, and none for the others', () => {
    const withRoutes = OPERATION_NAMES.filter((o) => OPERATIONS[o].api !== undefined);
    expect(Object.keys(OPERATION_REQUEST_SCHEMAS).sort()).toEqual([...withRoutes].sort());
    for (const operation of withRoutes) expect(requestSchemaOf(operation)).toBeDefined();
    expect(() => requestSchemaOf('no-such-operation' as Operation)).toThrow(/no request schema/);
  });

  it('gives every operation an API route, so the CLI can run each through MERIDIAN_API_URL', () => {
    expect(OPERATION_NAMES.filter((o) => OPERATIONS[o].api === undefined)).toEqual([]);
  });

  it('labels repositories as the storage layer displays them, without endpoints or options', () => {
    for (const url of ['/srv/repo', '/srv//repo/./x/../', 'file:///srv/a%20b', 's3://bucket/pre/fix/?region=eu-west-1&endpoint=http://127.0.0.1:9', 'gs://b', 'azure://acct/cont/p/']) {
      expect(repositoryLabel(url)).toBe(parseRepositoryUrl(url).display);
    }
    expect(repositoryLabel('offsite')).toBe('offsite');
  });

  it('derives the search attributes of a run from its input', () => {
    const pairs = operationSearchAttributes('backup', { repo: 's3://b/p?endpoint=http://h:1', path: '/data' });
    expect(pairs.map(({ key, value }) => [key.name, value])).toEqual([
      ['MeridianOperation', 'backup'],
      ['MeridianRepository', 's3://b/p'],
      ['MeridianSource', '/data'],
    ]);
    expect(operationSearchAttributes('verify', { repo: '/r' }).map((p) => p.value)).toEqual(['verify', '/r', 'all']);
  });
});

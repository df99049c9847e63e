// The private task queues of CLI runs on the embedded dev server, and the workflows a killed run
// left behind: a queue names the host and pid of the CLI process that polls it, so a workflow
// still Running on the queue of a process that is gone (SIGKILL, a crash) will never progress.
// Each CLI run on the embedded server terminates those of its host.

import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { isAlive } from '../worker/processAlive.js';

const PREFIX = `meridian-cli-${os.hostname()}-`;

/** A task queue for this process alone: `meridian-cli-<host>-<pid>-<random>`. */
export function privateTaskQueue(): string {
  return `${PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Terminates the Running workflows whose private task queue belongs to a process of this host that is gone; returns their ids. */
export async function terminateOrphanedWorkflows(client: Client): Promise<string[]> {
  const terminated: string[] = [];
  for await (const workflow of client.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
    const pid = ownerPid(workflow.taskQueue);
    if (pid === undefined || isAlive(pid)) continue;
    try {
      await client.workflow.getHandle(workflow.workflowId, workflow.runId).terminate(`the meridian CLI process that ran it (pid ${pid} on ${os.hostname()}) is gone`);
      terminated.push(workflow.workflowId);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // it ended meanwhile
    }
  }
  return terminated;
}

function ownerPid(taskQueue: string): number | undefined {
  const match = taskQueue.startsWith(PREFIX) ? /^(\d+)-[0-9a-f]{8}$/.exec(taskQueue.slice(PREFIX.length)) : null;
  return match ? Number(match[1]) : undefined;
}

// The benchmark's side of bench/clientProcess.ts: starts it, sends it one operation at a time
// and measures each like a command — wall time to the answer, CPU time and peak memory of the
// helper processes doing the work (the warm worker and the client).

import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { Operation, OperationInput } from '../workflows/catalog.js';
import { helperMeter, Measurement } from './measure.js';

export class WarmClient {
  private readonly process: ChildProcess;
  private readonly lines: AsyncIterator<string>;

  private constructor(env: NodeJS.ProcessEnv) {
    this.process = spawn(process.execPath, [path.join(__dirname, 'clientProcess.js')], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = readline.createInterface({ input: this.process.stdout! })[Symbol.asyncIterator]();
  }

  static async start(env: NodeJS.ProcessEnv): Promise<WarmClient> {
    const client = new WarmClient(env);
    await client.nextAnswer();
    return client;
  }

  get pid(): number {
    return this.process.pid!;
  }

  /** Runs one operation; `helperPids` are the processes whose CPU and peak memory count. */
  async measure<O extends Operation>(operation: O, input: OperationInput<O>, helperPids: number[]): Promise<Measurement & { workflowId: string }> {
    const meter = helperMeter(helperPids);
    this.process.stdin!.write(`${JSON.stringify({ operation, input })}\n`);
    const answer = await this.nextAnswer();
    if (answer.error !== undefined) throw new Error(`${operation} through the warm client failed: ${answer.error}`);
    return { ...meter.read(), workflowId: answer.workflowId! };
  }

  stop(): void {
    this.process.stdin!.end();
  }

  private async nextAnswer(): Promise<{ workflowId?: string; error?: string }> {
    const next = await this.lines.next();
    if (next.done) throw new Error('the warm client exited');
    return JSON.parse(next.value) as { workflowId?: string; error?: string };
  }
}

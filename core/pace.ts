// Throttling of a long background job to a byte rate: after each piece of work the job waits
// until its average since the start is back under the rate, so it never runs ahead by more
// than one piece.

import { setTimeout as sleep } from 'node:timers/promises';

export class Pace {
  private readonly started = Date.now();
  private bytes = 0;

  constructor(private readonly bytesPerSecond: number) {}

  /** Counts `bytes` done; resolves once the rate allows more. */
  async took(bytes: number, signal?: AbortSignal): Promise<void> {
    this.bytes += bytes;
    const wait = this.started + (this.bytes / this.bytesPerSecond) * 1000 - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal });
  }
}

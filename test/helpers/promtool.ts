// `promtool check metrics` over an exposition text: its complaints, '' when it has none.

import { execFile } from 'node:child_process';

export function promtool(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/promtool', ['check', 'metrics'], (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') reject(err);
      else resolve(`${stdout}${stderr}`.trim());
    });
    child.stdin!.end(text);
  });
}

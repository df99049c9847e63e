// User and group names by id, read once from /etc/passwd and /etc/group (a backup records the
// names next to the numeric ids; no process is spawned and nothing is looked up per file).

import fs from 'node:fs';

export class OwnerNames {
  private readonly users = readIdFile('/etc/passwd');
  private readonly groups = readIdFile('/etc/group');

  user(uid: number): string | undefined {
    return this.users.get(uid);
  }

  group(gid: number): string | undefined {
    return this.groups.get(gid);
  }
}

/** name:password:id:... lines → id → name (the first name wins, as getpwuid answers). A missing file is empty. */
function readIdFile(file: string): Map<number, string> {
  const names = new Map<number, string>();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (!name || id === undefined || !/^\d+$/.test(id)) continue;
    const n = Number(id);
    if (!names.has(n)) names.set(n, name);
  }
  return names;
}

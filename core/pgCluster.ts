// The one rule for the name a PostgreSQL cluster's WAL and base backups are stored under
// (`--cluster`, the API's `cluster`): WAL archive, base backups, CLI and API all check it. No ".":
// a WAL file is stored as `<cluster>.<walName>`, so cluster `a` would also list those of `a.b`.

import { invalidArgument } from './errors.js';

export const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
export const CLUSTER_NAME_RULE = '1 to 63 letters, digits, "_" or "-", starting with a letter or digit';

export function assertClusterName(cluster: string): void {
  if (!CLUSTER_NAME.test(cluster)) throw invalidArgument(`[pg] cluster name "${cluster}" must be ${CLUSTER_NAME_RULE}`);
}

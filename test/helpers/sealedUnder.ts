// Whether a sealed object opens under a given encryption key: what key-rotation tests ask of every
// object of a repository, for the old key and the new.

import { open } from '../../core/crypto';

export function opensUnder(key: Uint8Array, sealed: Uint8Array): boolean {
  try {
    open(key, sealed, 'object');
    return true;
  } catch {
    return false;
  }
}

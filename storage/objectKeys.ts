// Object keys of the cloud backends (one flat namespace per bucket or container): where a
// repository file lives under the repository's prefix, and which listed keys are files of a type.

import { assertValidHandle, assertValidType, FILE_TYPES, FileType, Handle, objectPath } from './storage.js';

export class ObjectKeys {
  /** The prefix without surrounding slashes, followed by one slash; empty for none. */
  private readonly base: string;

  constructor(prefix: string) {
    const trimmed = prefix.replace(/^\/+|\/+$/g, '');
    this.base = trimmed === '' ? '' : `${trimmed}/`;
  }

  /** The key of a file, e.g. `prefix/data/ab/abcd…`; refuses names that could escape the prefix. */
  key(h: Handle): string {
    assertValidHandle(h);
    return this.base + objectPath(h);
  }

  /** What every key of a type starts with (to list them). */
  listPrefix(type: FileType): string {
    assertValidType(type);
    return type === 'config' ? `${this.base}config` : `${this.base}${type}/`;
  }

  /** What every key of the repository starts with (to list all its files at once). */
  rootPrefix(): string {
    return this.base;
  }

  /** The file a listed key is, of whatever type; undefined for a key that is no repository file. */
  handleOf(key: string): Handle | undefined {
    for (const type of FILE_TYPES) {
      const name = this.nameOf(type, key);
      if (name) return { type, name };
    }
    return undefined;
  }

  /** The file name of a listed key, or undefined when the key is not a file of that type. */
  nameOf(type: FileType, key: string): string | undefined {
    const name = key.slice(key.lastIndexOf('/') + 1);
    return name !== '' && key === this.base + objectPath({ type, name }) ? name : undefined;
  }
}

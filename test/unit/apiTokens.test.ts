// Named API tokens read from their files (first line, trimmed), relative paths already resolved by
// config/load.ts; an unreadable or empty file and one token under two names are one-line errors
// that name the token and the file, never the token itself. The CLI's identity.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readApiTokens } from '../../api/tokens';
import { cliIdentity } from '../../cli/identity';

describe('readApiTokens', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-tokens-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    fs.writeFileSync(path.join(dir, name), content);
    return { file: path.join(dir, name) };
  };

  it('reads the first line of each file', () => {
    expect(readApiTokens({ tokens: { alice: file('a', 'alice-secret\nignored\n'), ops: file('o', '  ops-secret  \r\n') } })).toEqual({ alice: 'alice-secret', ops: 'ops-secret' });
    expect(readApiTokens(undefined)).toEqual({});
  });

  it('refuses a missing or empty file and a token shared by two names, without the token in the message', () => {
    expect(() => readApiTokens({ tokens: { alice: { file: path.join(dir, 'none') } } })).toThrow(`cannot read the token file ${path.join(dir, 'none')} of API token "alice": ENOENT`);
    expect(() => readApiTokens({ tokens: { alice: file('e', '\n') } })).toThrow(`the token file ${path.join(dir, 'e')} of API token "alice" is empty`);
    const shared = () => readApiTokens({ tokens: { alice: file('a', 'same-secret'), bob: file('b', 'same-secret') } });
    expect(shared).toThrow('API token "bob" (');
    expect(shared).toThrow('is the same token as API token "alice"');
    expect(shared).not.toThrow(/same-secret/);
    expect(() => readApiTokens({ tokens: { alice: file('a', 'admin-secret') } }, 'admin-secret')).toThrow('is the same token as MERIDIAN_API_TOKEN');
    // A token named admin would pass for MERIDIAN_API_TOKEN in every recorded decision.
    expect(() => readApiTokens({ tokens: { admin: file('n', 'named-secret') } })).toThrow(`API token "admin" (${path.join(dir, 'n')}): the name admin is the identity of MERIDIAN_API_TOKEN; give this token another name`);
  });
});

describe('cliIdentity', () => {
  it('is MERIDIAN_IDENTITY, else the user name', () => {
    expect(cliIdentity({ MERIDIAN_IDENTITY: 'alice' })).toBe('alice');
    expect(cliIdentity({})).toBe(os.userInfo().username);
  });
});

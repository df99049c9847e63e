// The hand-written tree check (core/treeShape.ts) accepts exactly what TreeSchema, the zod schema
// that defines a tree, accepts: on well-formed nodes of every type and on each of many
// malformations of them.

import { isTree } from '../../core/treeShape';
import { TreeSchema } from '../../core/tree';

const ID = 'a'.repeat(64);

const NODES: Record<string, unknown>[] = [
  { name: 'a.png', type: 'file', mode: 0o644, mtimeNs: '1700000000123456789', ctimeNs: '1700000000123456789', size: 12, inode: '42', dev: '2049', content: [ID], uid: 1000, gid: 1000, user: 'gis', group: 'gis' },
  { name: 'linked', type: 'file', mode: 0o600, mtimeNs: '-5', size: 0, content: [], nlink: 2, xattrs: [{ name: 'user.k', value: 'dmFsdWU=' }] },
  { name: 'dir', rawName: 'ZGly/w==', type: 'dir', mode: 0o755, mtimeNs: '0', subtree: ID },
  { name: 'link', type: 'symlink', mode: 0o777, mtimeNs: '1', target: '../x', rawTarget: 'Li4veP8=' },
  { name: 'fifo', type: 'fifo', mode: 0o644, mtimeNs: '1' },
  { name: 'sock', type: 'socket', mode: 0o644, mtimeNs: '1' },
  { name: 'tty', type: 'chardev', mode: 0o620, mtimeNs: '1', rdev: '1280' },
  { name: 'sda', type: 'blockdev', mode: 0o660, mtimeNs: '1', rdev: '2048', unknownField: 'kept' },
];

/** Values that each field must refuse (or, for a required field, its absence). */
const BAD_VALUES: Record<string, unknown[]> = {
  name: [undefined, 3, null],
  type: [undefined, 'door', 1],
  mode: [undefined, -1, 1.5, '644', Number.MAX_SAFE_INTEGER + 2],
  mtimeNs: [undefined, 12, '1.5', '', 'x'],
  rawName: ['not base64!', 5],
  ctimeNs: ['abc', 1],
  size: [-1, 0.5, '12'],
  inode: [42],
  dev: [2049],
  content: ['x', [1], {}],
  subtree: [1],
  target: [false],
  rawTarget: ['***'],
  uid: [-1, 'root'],
  gid: [1.25],
  user: [0],
  group: [[]],
  nlink: [1, 0, 2.5],
  rdev: ['-1', 'x', 7],
  xattrs: [{}, [{ name: 'user.k' }], [{ name: 1, value: '' }], [{ name: 'user.k', value: '%%' }], ['x']],
};

const zodAccepts = (value: unknown) => TreeSchema.safeParse(value).success;

test('well-formed trees of every node type are accepted by both', () => {
  for (const tree of [{ nodes: NODES }, { nodes: [] }, { nodes: NODES.slice(2, 3), extra: 1 }]) {
    expect(zodAccepts(tree)).toBe(true);
    expect(isTree(tree)).toBe(true);
  }
});

test('every malformation of every field is refused by both', () => {
  let cases = 0;
  for (const node of NODES) {
    for (const [field, values] of Object.entries(BAD_VALUES)) {
      for (const value of values) {
        const bad = { ...node };
        if (value === undefined) delete bad[field];
        else bad[field] = value;
        const tree = { nodes: [NODES[0], bad] };
        expect([field, value, zodAccepts(tree)]).toEqual([field, value, false]);
        expect([field, value, isTree(tree)]).toEqual([field, value, false]);
        cases += 1;
      }
    }
  }
  expect(cases).toBeGreaterThan(300);
});

test('what is not a tree at all is refused by both', () => {
  for (const value of [null, [], 'tree', { nodes: {} }, { nodes: [null] }, { nodes: [[]] }, {}, { nodes: [{ ...NODES[0], __proto__: null }] }]) {
    expect(isTree(value)).toBe(zodAccepts(value));
  }
  const inherited = JSON.parse(`{"nodes":[{"name":"a","type":"fifo","mode":1,"mtimeNs":"1","__proto__":{"x":1},"toString":5,"hasOwnProperty":"y"}]}`) as unknown;
  expect(isTree(inherited)).toBe(zodAccepts(inherited));
});

// `import fs from 'uringfs'` and `import fsp from 'uringfs/promises'`, as node:fs has them: one
// object with every named export of the module, whose properties can be replaced (as code that
// patches node:fs does).

/**
 * @internal
 * A plain object with a data property per named export of a module namespace, as the default
 * export of `like` (node:fs or node:fs/promises) is: writable, so that code can patch it, and
 * each a plain value, as mocking tools (node:test's `mock.method`, sinon) require. Made once the
 * module has evaluated (lib/ has no import cycle at run time: every binding is set by then). It
 * is also what require() returns (lib/cjs/).
 */
export function namedExports<T extends object>(namespace: T, like: object): Omit<T, 'default'> {
  const named: Record<string, unknown> = {};
  for (const key of Reflect.ownKeys(namespace)) {
    if (typeof key !== 'string' || key === 'default') continue;
    // A name node:fs itself keeps as a getter with no setter, and whose value uringfs re-exports,
    // stays node:fs's getter: Node 24's deprecated F_OK, R_OK, W_OK, X_OK (constants, not read
    // here: they warn when read) and its Utf8Stream refuse assignment. Where uringfs has a value
    // of its own (`promises`), it is a plain property.
    const ours = (namespace as Record<string, unknown>)[key];
    const theirs = Object.getOwnPropertyDescriptor(like, key);
    if (theirs?.get !== undefined && theirs.set === undefined && (!(ours instanceof Object) || theirs.get.call(like) === ours)) Object.defineProperty(named, key, theirs);
    // Read-only where node:fs's is (F_OK, R_OK, W_OK, X_OK and constants on Node 20 and 22).
    else if (theirs !== undefined && 'value' in theirs && !theirs.writable) Object.defineProperty(named, key, { ...theirs, value: ours });
    else named[key] = ours;
  }
  return named as Omit<T, 'default'>;
}

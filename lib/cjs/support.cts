/**
 * Throw a clear error where this Node cannot require() an ES module: require(esm) is on by
 * default from Node 20.19 and 22.12 (earlier 20.17+ and 22.0+ need --experimental-require-module).
 * @internal
 */
export function requireModuleSupported(specifier: string): void {
  if (process.features.require_module) return;
  const err = new Error(
    `require('${specifier}') needs require(esm), on by default from Node.js 20.19 and 22.12 ` +
      `(this is ${process.version}): use \`import\`, upgrade Node.js, or run with --experimental-require-module`,
  ) as Error & { code: string };
  err.code = 'ERR_REQUIRE_ESM';
  throw err;
}

/**
 * Make `module.exports` the module's default object for good: TypeScript emits `export =` (the
 * namespace, which the declarations describe) as the file's last statement, and this keeps that
 * assignment from replacing it.
 * @internal
 */
export function exportDefaultObject(module: NodeJS.Module, value: object): void {
  Object.defineProperty(module, 'exports', { get: () => value, set: () => {}, enumerable: true, configurable: true });
}

// `import fs from 'uringfs'` and `import fsp from 'uringfs/promises'`, as node:fs has them: one
// object with every named export of the module, whose properties can be replaced (as code that
// patches node:fs does).

/**
 * @internal
 * An object with a property per named export of a module namespace. The properties read the live
 * bindings, so it can be made while the module is still evaluating (lib/ring.ts and the promise
 * flavour import each other, so some bindings are initialized later); assigning a property
 * replaces it with a plain value. Reflect.ownKeys lists the names without reading any binding.
 */
export function namedExports<T extends object>(namespace: T): Omit<T, 'default'> {
  const named = {};
  for (const key of Reflect.ownKeys(namespace)) {
    if (typeof key !== 'string' || key === 'default') continue;
    Object.defineProperty(named, key, {
      enumerable: true,
      configurable: true,
      get: () => (namespace as Record<string, unknown>)[key],
      set(value: unknown) {
        Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
      },
    });
  }
  return named as Omit<T, 'default'>;
}

// The ES module half of swap-fs.cjs: `import … from 'fs'` (and node:fs, fs/promises) resolves to
// uringfs's build, except from uringfs's own modules.
let ownCode = '';
let targets = {};

export function initialize(data) {
  ownCode = data.ownCode;
  targets = data.targets;
}

export function resolve(specifier, context, next) {
  const name = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  const target = targets[name];
  if (target !== undefined && !(context.parentURL ?? '').startsWith(ownCode)) {
    return { url: target, shortCircuit: true, format: 'module' };
  }
  return next(specifier, context);
}

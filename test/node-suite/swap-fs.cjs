// Preloaded (--require) into a test of Node's own: every `fs`, `node:fs`, `fs/promises` and
// `node:fs/promises` the test (and what it loads) asks for is uringfs's, built in dist/, as an app
// that swapped its import would see it. uringfs's own modules and dependencies (anything under this
// repository) still get node:fs.
'use strict';
const Module = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.resolve(__dirname, '..', '..');
const dist = path.join(root, 'dist');
const cjsTargets = {
  fs: path.join(dist, 'cjs', 'index.cjs'),
  'fs/promises': path.join(dist, 'cjs', 'promises.cjs'),
};
const ownCode = root + path.sep;

const load = Module._load;
Module._load = function swappedLoad(request, parent, isMain) {
  const name = typeof request === 'string' && request.startsWith('node:') ? request.slice(5) : request;
  const target = cjsTargets[name];
  if (target !== undefined && !(parent && parent.filename && parent.filename.startsWith(ownCode))) {
    return load.call(this, target, parent, isMain);
  }
  return load.call(this, request, parent, isMain);
};

// ES modules resolve through a loader hook (module.register: Node 20.6 and later).
if (typeof Module.register === 'function') {
  Module.register(pathToFileURL(path.join(__dirname, 'swap-fs-hooks.mjs')), {
    data: {
      ownCode: pathToFileURL(ownCode).href,
      targets: {
        fs: pathToFileURL(path.join(dist, 'index.js')).href,
        'fs/promises': pathToFileURL(path.join(dist, 'promises.js')).href,
      },
    },
  });
}

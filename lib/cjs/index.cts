// CommonJS entry of 'uringfs': the ESM module loaded through require(esm), so `require` and
// `import` share one module instance and one default ring per environment. Like require('node:fs'),
// require('uringfs') is the module's default object — the one `import fs from 'uringfs'` gives,
// whose functions code and mocks may replace — not its read-only namespace. The declarations
// describe the namespace, which has the same names (and the types besides).
import { requireModuleSupported, exportDefaultObject } from './support.cjs';
requireModuleSupported('uringfs');
import uringfs = require('../index.js');
exportDefaultObject(module, uringfs.default);
export = uringfs;

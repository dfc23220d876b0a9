// CommonJS entry of 'uringfs': `require('uringfs')` returns what the very module that
// `import 'uringfs'` loads exports as 'module.exports' (require(esm)): its default object, as
// require('node:fs') is. Both share one module instance and one default ring per environment;
// there is no second copy to diverge.
import { requireModuleSupported } from './support.cjs';
requireModuleSupported('uringfs');
import uringfs = require('../index.js');
export = uringfs;

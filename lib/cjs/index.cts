// CommonJS entry of 'uringfs': `require('uringfs')` returns the very module that
// `import 'uringfs'` loads (require(esm)), so both share one module instance and
// one default ring per environment; there is no second copy to diverge.
import { requireModuleSupported } from './support.cjs';
requireModuleSupported('uringfs');
import uringfs = require('../index.js');
export = uringfs;

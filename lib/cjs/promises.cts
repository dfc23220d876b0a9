// CommonJS entry of 'uringfs/promises': as lib/cjs/index.cts, the module's default object, the
// same object as require('uringfs').promises and `import fsp from 'uringfs/promises'`.
import { requireModuleSupported, exportDefaultObject } from './support.cjs';
requireModuleSupported('uringfs/promises');
import promises = require('../promises.js');
exportDefaultObject(module, promises.default);
export = promises;

// CommonJS entry of 'uringfs/promises': the ESM module through require(esm), which returns its
// default object (exported as 'module.exports'), the same object as require('uringfs').promises.
import { requireModuleSupported } from './support.cjs';
requireModuleSupported('uringfs/promises');
import promises = require('../promises.js');
export = promises;

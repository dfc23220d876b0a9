// CommonJS entry of 'uringfs/promises': the ESM module itself, through require(esm).
import { requireModuleSupported } from './support.cjs';
requireModuleSupported('uringfs/promises');
import promises = require('../promises.js');
export = promises;

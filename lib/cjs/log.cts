// CommonJS entry of 'uringfs/log': the ESM module itself, through require(esm).
import { requireModuleSupported } from './support.cjs';
requireModuleSupported('uringfs/log');
import log = require('../log/index.js');
export = log;

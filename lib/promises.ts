// uringfs/promises: the promise flavour (lib/promises-flavour.ts) with the classes and the ring
// API beside it, and a default export, as node:fs/promises has one. A Ring imported from here has
// its batches and flavours too (lib/faces.ts).
import './faces.js';

export * from './promises-flavour.js';
export { Stats, BigIntStats } from './stats.js';
export { Ring, defaultRing, setDefaultRing } from './ring.js';
export type { RingOptions, RingStats } from './ring.js';
export type { RingCallbacks, RingPromises } from './bound.js';
export { readFiles } from './readfiles.js';
export type { ReadFilesOptions } from './readfiles.js';
export { Batch } from './batch.js';
export type { Outcome } from './batch.js';
export * from './node-fs-promises.js';

import nodeFsPromises from 'node:fs/promises';
import { namedExports } from './default-export.js';
import * as uringfsPromises from './promises.js';
/**
 * Every export of this module as one object, as node:fs/promises' default export is: `import fsp
 * from 'uringfs/promises'` in place of `import fsp from 'node:fs/promises'`.
 */
const defaultExport = namedExports(uringfsPromises, nodeFsPromises);
export default defaultExport;

// Node's modules that only a few calls need, loaded at the first of those calls rather than when
// uringfs is imported: crypto alone is a score of Node's internal modules, and a program that never
// makes a temporary directory, reads lines or makes a web stream should not pay for them at start.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** node:crypto (mkdtemp's random names). */
export const crypto = (): typeof import('node:crypto') => require('node:crypto');
/** node:readline (FileHandle.readLines). */
export const readline = (): typeof import('node:readline') => require('node:readline');
/** node:stream/web (FileHandle.readableWebStream). */
export const webStreams = (): typeof import('node:stream/web') => require('node:stream/web');

// Node's C headers already on this machine, so that node-gyp needs no download from nodejs.org:
// the running Node's own, or a system Node's (the npm registry's `node` package has none).
// Node-API headers are the same contract in every version.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The prefix whose include/node has node_api.h, or undefined. */
export function nodeHeadersPrefix() {
  const prefixes = [dirname(dirname(process.execPath)), '/usr/local', '/usr'];
  return prefixes.find((p) => existsSync(join(p, 'include', 'node', 'node_api.h')));
}

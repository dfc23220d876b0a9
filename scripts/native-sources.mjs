// What a native build is made from: a prebuild older than any of these is stale.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time (ms) among binding.gyp, native/ and the liburing check. */
export function newestNativeSource(root) {
  const files = ['binding.gyp', 'scripts/check-liburing.sh', ...readdirSync(join(root, 'native')).map((f) => join('native', f))];
  return Math.max(...files.map((f) => statSync(join(root, f)).mtimeMs));
}

// A ring's batches and its callback and promise flavours belong to the layers above the engine:
// this module adds them to Ring — to its prototype, and to its type by declaration merging — so
// that lib/ring.ts imports none of them and imports point down only. Loaded by every entry point
// that makes rings (lib/index.ts).
import { Batch } from './batch.js';
import { callbacksOn, promisesOn, type RingCallbacks, type RingPromises } from './bound.js';
import { Ring } from './ring.js';

declare module './ring.js' {
  interface Ring {
    /**
     * The callback flavour of `uringfs` (open, read, readFile, stat, …, and readFiles) with every
     * op on this ring instead of the default one; the same object each time. Once the ring is
     * closed, its functions call back with `ERR_URINGFS_RING_CLOSED`.
     */
    readonly callbacks: RingCallbacks;
    /**
     * The promise flavour of `uringfs/promises` (open, readFile, writeFile, stat, …, and
     * readFiles) with every op on this ring; the same object each time. A FileHandle it opens
     * keeps this ring for all its methods and its close; a FileHandle passed to its
     * readFile/writeFile runs on the handle's own ring. Once the ring is closed, its functions
     * reject with `ERR_URINGFS_RING_CLOSED`.
     */
    readonly promises: RingPromises;
    /** A new, empty batch of ops for this ring (see Batch). */
    batch(): Batch;
  }
}

const callbackFaces = new WeakMap<Ring, RingCallbacks>();
const promiseFaces = new WeakMap<Ring, RingPromises>();

// As the class's own accessors and methods would be: on the prototype, not enumerable.
Object.defineProperties(Ring.prototype, {
  callbacks: {
    get(this: Ring): RingCallbacks {
      let face = callbackFaces.get(this);
      if (face === undefined) callbackFaces.set(this, (face = callbacksOn(this)));
      return face;
    },
    configurable: true,
  },
  promises: {
    get(this: Ring): RingPromises {
      let face = promiseFaces.get(this);
      if (face === undefined) promiseFaces.set(this, (face = promisesOn(this)));
      return face;
    },
    configurable: true,
  },
  batch: {
    value: function batch(this: Ring): Batch {
      return new Batch(this);
    },
    writable: true,
    configurable: true,
  },
});

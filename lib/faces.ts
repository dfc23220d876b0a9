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

/** An accessor that makes a ring's face once, on first use, and gives the same object after. */
function madeOnce<F extends object>(make: (ring: Ring) => F): PropertyDescriptor {
  const made = new WeakMap<Ring, F>();
  return {
    get(this: Ring): F {
      let face = made.get(this);
      if (face === undefined) made.set(this, (face = make(this)));
      return face;
    },
    configurable: true,
  };
}

// As the class's own accessors and methods would be: on the prototype, not enumerable.
Object.defineProperties(Ring.prototype, {
  callbacks: madeOnce(callbacksOn),
  promises: madeOnce(promisesOn),
  batch: {
    value: function batch(this: Ring): Batch {
      return new Batch(this);
    },
    writable: true,
    configurable: true,
  },
});

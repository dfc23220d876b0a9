// A ring's batches and its callback and promise flavours belong to the layers above the engine:
// this module hands them down to it (provideFaces), so that lib/ring.ts imports none of them and
// imports point down only. Loaded by every entry point that makes rings.
import { Batch } from './batch.js';
import { callbacksOn, promisesOn } from './bound.js';
import { provideFaces } from './ring.js';

provideFaces({ batch: (ring) => new Batch(ring), callbacks: callbacksOn, promises: promisesOn });

// The method catalog. Parent and child both read it; only the child runs it
// (implementations get node:fs and uringfs from the context they are given).
import files from './files.js';
import random from './random.js';
import append from './append.js';
import fio from './fio.js';
import floor from './floor.js';
import test from './test.js';
import tree from './tree.js';
import stream from './stream.js';

export function catalog({ testMethods = false } = {}) {
  return [...files, ...random, ...append, ...tree, ...stream, ...fio, ...floor, ...(testMethods ? test : [])];
}

/** The method `id` that applies to scenario kind `kind`. */
export function findMethod(id, kind, options) {
  return catalog(options).find((m) => m.id === id && m.kinds.includes(kind));
}

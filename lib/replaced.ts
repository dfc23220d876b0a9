// node:fs's functions reach each other through the module's object — a stream calls `fs.read` and
// `fs.close`, writeFile calls `fs.open`, `fs.write`, `fs.fsync`, `fs.close`, appendFile calls
// `fs.writeFile` — so code that replaces one of them there (node:test's `mock.method`, sinon, a
// wrapper that counts or injects errors) sees those calls. uringfs's functions call each other
// directly, on the ring; where node:fs would call a function the caller has replaced on
// uringfs's default object, they call the replacement instead, through `replaced`.

import { Buffer } from 'node:buffer';

type Fn = (...args: any[]) => any;

let moduleObject: Record<string, unknown> | undefined;

/** @internal index.ts gives the default object (`import fs from 'uringfs'`, require('uringfs')) once made. */
export function setModuleObject(object: object): void {
  moduleObject = object as Record<string, unknown>;
}

/**
 * @internal The function now under `name` on uringfs's default object when it is not `ours` (the
 * function uringfs exports under that name), or undefined while it is untouched: one property read
 * on the calls that check it.
 */
export function replaced(name: string, ours: Fn): Fn | undefined {
  const current = moduleObject?.[name];
  return current === ours || typeof current !== 'function' ? undefined : current as Fn;
}

/**
 * @internal Call the module's function `name` as node:fs calls its own: the replacement, with the
 * default object as `this`, where there is one, else `ours`.
 */
export function callModule(name: string, ours: Fn, ...args: unknown[]): unknown {
  const theirs = replaced(name, ours);
  return theirs === undefined ? Reflect.apply(ours, undefined, args) : Reflect.apply(theirs, moduleObject, args);
}

/** @internal The default object, for calling a replaced function with it as `this` (as node:fs does). */
export function moduleThis(): unknown {
  return moduleObject;
}

/** @internal The data node:fs's writeFile hands to fs.write: the caller's view itself, or a Buffer of the string's bytes. */
export function asNodeGives(data: unknown, bytes: NodeJS.ArrayBufferView): NodeJS.ArrayBufferView {
  if (ArrayBuffer.isView(data)) return data as NodeJS.ArrayBufferView;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

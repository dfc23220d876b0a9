// The log's own errors, in the shape of the library's (a `code`, shown in the stack's first line).
import { withCode } from '../errors.js';

/** `ERR_URINGFS_LOG_CLOSED`: an operation on a log after `close()`. */
export function logClosed(what: string): Error {
  return withCode(new Error(`The log is closed; cannot ${what}`), 'ERR_URINGFS_LOG_CLOSED');
}

/**
 * `ERR_URINGFS_LOG_FAILED`: a write or fdatasync of the log failed earlier (`cause`), so nothing
 * after its last durable record can be trusted until the log is reopened (which recovers it).
 */
export function logFailed(cause: Error): Error {
  const err = withCode(new Error(`The log failed and takes no more appends until reopened: ${cause.message}`), 'ERR_URINGFS_LOG_FAILED');
  (err as Error & { cause: Error }).cause = cause;
  return err;
}

/** `ERR_URINGFS_LOG_CORRUPT`: a record the log holds did not read back intact. */
export function logCorrupt(message: string): Error {
  return withCode(new Error(message), 'ERR_URINGFS_LOG_CORRUPT');
}

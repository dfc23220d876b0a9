// The one line a case's child prints for the parent: MARKER + JSON.
export const MARKER = '@@uringfs-bench ';

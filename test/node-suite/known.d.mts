export function knownDifferences(major?: number): Map<string, { why: string; sometimes: boolean }>;

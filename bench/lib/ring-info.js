// What the harness records about a uringfs ring: its backend and the shape
// the kernel gave it (null for what an older build does not expose).
export function ringInfo(ring) {
  return {
    backend: ring.backend ?? null,
    fallbackReason: ring.fallbackReason ?? null,
    sqEntries: ring.sqEntries ?? null,
    cqEntries: ring.cqEntries ?? null,
    setupFlags: ring.setupFlags ?? ring.flags ?? null,
    features: ring.features ?? null,
  };
}

// Scenarios × methods × backends × depths → the list of cases to run, each
// with the environment variables its child needs. What is left out on
// purpose (a filter, a batch larger than the set) is listed, not dropped
// silently; what cannot run here becomes a skipped case with its reason.
import { catalog } from './methods/index.js';

export function matches(patterns, id) {
  if (!patterns) return true;
  return patterns.some((p) => {
    if (p.includes('*')) return new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(id);
    return id === p || id.startsWith(`${p}.`) || id.startsWith(`${p}+`);
  });
}

/** Which depths a method runs at in scenario `s`: [{ depth, label }]. */
function depthsFor(method, s, config, notes) {
  let kinds = s.kind === 'random' && s.direct && method.depthsDirect ? method.depthsDirect : method.depths;
  // fio costs ~0.3 s of start-up per run: --quick keeps only its deepest hot case.
  if (config.quick && !s.direct && method.depthsQuick) {
    const dropped = kinds.filter((k) => !method.depthsQuick.includes(k));
    if (dropped.length) notes.add(`${method.id} left out at depth ${dropped.join(', ').replace('one', '1')} in --quick`);
    kinds = method.depthsQuick;
  }
  const out = [];
  for (const k of kinds) {
    if (k === 'one') out.push({ depth: 1, label: '1', kind: k });
    else if (k === 'concurrency') for (const c of config.concurrencies ?? [config.concurrency]) out.push({ depth: c, label: String(c), kind: k });
    else if (k === 'all') out.push({ depth: s.opsPerPass, label: `all ${s.opsPerPass}`, kind: k });
    else if (k === 'batch') {
      for (const b of config.batches) {
        if (s.kind === 'files' && b > s.files) {
          notes.add(`batch ${b} left out: larger than the ${s.files} files`);
          continue;
        }
        out.push({ depth: b, label: String(b), kind: k });
      }
    }
  }
  // One case per depth (concurrency may equal a batch size or 'all').
  const seen = new Set();
  return out.filter((d) => !seen.has(d.depth) && seen.add(d.depth));
}

function backendsFor(method, env, config, skips) {
  const allowed = (name) => !config.backends || config.backends.includes(name);
  if (method.family === 'node' || method.family === 'test') {
    const list = [{ name: 'node', env: { UV_USE_IO_URING: '0' } }];
    if (method.uv && allowed('uv_io_uring')) {
      if (env.uvIoUring.honoured) list.push({ name: 'uv_io_uring', env: { UV_USE_IO_URING: '1' } });
      else skips.push({ backend: 'uv_io_uring', reason: env.uvIoUring.summary });
    }
    return list;
  }
  if (method.family === 'fio') {
    if (!allowed('fio')) return [];
    if (!env.tools.fio) {
      skips.push({ backend: 'fio', reason: 'fio is not installed (apt-get install fio)' });
      return [];
    }
    return [{ name: 'fio', env: {} }];
  }
  if (method.family === 'floor') {
    if (!allowed('c')) return [];
    if (env.tools.floor !== true) {
      skips.push({ backend: 'c', reason: env.tools.floor });
      return [];
    }
    return [{ name: 'c', env: {} }];
  }
  // uringfs
  const out = [];
  if (!env.uringfs.probe.ok) {
    skips.push({ backend: 'io_uring', reason: `uringfs does not load: ${env.uringfs.probe.error}` });
    return out;
  }
  for (const b of env.uringfs.backends) {
    if (!allowed(b.name)) continue;
    if (!b.usable) {
      skips.push({ backend: b.name, reason: b.ok ? `URINGFS_BACKEND=${b.name} gave backend ${b.backend}${b.fallbackReason ? ` (${b.fallbackReason})` : ''}` : b.error });
      continue;
    }
    // Ring option variants apply to the io_uring backend only.
    const variants = b.name === 'io_uring' ? config.rings : [{ label: 'default', options: null }];
    for (const v of variants) {
      out.push({ name: v.options ? `${b.name}[${v.label}]` : b.name, env: b.env, ringOptions: v.options });
    }
  }
  return out;
}

/**
 * Ops per pass of a case. For random reads and appends a pass is rounded up
 * to a whole number of batches, so a batch of 64 really carries 64 ops (the
 * rate is per op, so a slightly larger pass compares fairly). Whole-file
 * scenarios keep their file count, and a tree walk its entries.
 */
function opsFor(s, depth) {
  if (s.kind === 'files' || s.kind === 'tree' || s.kind === 'stream') return s.opsPerPass;
  return Math.ceil(s.opsPerPass / depth) * depth;
}

export function planCases(scenarios, env, config) {
  const methods = catalog({ testMethods: config.testMethods });
  const cases = [];
  for (const s of scenarios) {
    const notes = new Set();
    for (const m of methods) {
      if (!m.kinds.includes(s.kind)) continue;
      const isBaseline = m.id === s.baseline;
      if (!isBaseline && !matches(config.methods, m.id)) continue;
      // Ring tricks (registered files and buffers) run only when --method names them.
      if (m.optIn && !(config.methods ?? []).some((p) => p.includes('registered') && matches([p], m.id))) {
        notes.add(`${m.id} left out of this run (a ring trick): add --method ${m.id}`);
        continue;
      }
      if (isBaseline && config.methods && !matches(config.methods, m.id)) notes.add(`${m.id} runs as the baseline of every ratio`);
      const skips = [];
      const backends = isBaseline ? [{ name: 'node', env: { UV_USE_IO_URING: '0' } }] : backendsFor(m, env, config, skips);
      const depths = depthsFor(m, s, config, notes);
      for (const d of depths) {
        for (const b of backends) {
          cases.push({ key: `${s.key}|${m.id}|${b.name}|${d.depth}`, scenario: s, opsPerPass: opsFor(s, d.depth), method: m, backend: b.name, env: b.env, ringOptions: b.ringOptions ?? null, depth: d.depth, depthLabel: d.label, depthKind: d.kind, baseline: isBaseline });
        }
        for (const sk of skips) {
          cases.push({ key: `${s.key}|${m.id}|${sk.backend}|${d.depth}`, scenario: s, method: m, backend: sk.backend, depth: d.depth, depthLabel: d.label, depthKind: d.kind, skip: sk.reason });
        }
      }
    }
    s.notes = [...notes];
  }
  return cases;
}

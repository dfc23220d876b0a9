export interface NodeTestRun { passed: boolean; code: number | null; signal: string | null; ms: number; output: string }
export interface NodeTestFile { file: string; plain: NodeTestRun; swapped: Record<string, NodeTestRun> }
export const backends: string[];
export function runNodeTests(options?: { filter?: string; concurrency?: number; timeoutMs?: number }): Promise<{ version: string; dir: string; results: NodeTestFile[] }>;

import type { BenchRow } from './table.js';
// Filled in with the kernel and training-step benchmarks (issue 2).
export async function run(): Promise<BenchRow[]> {
  return [];
}

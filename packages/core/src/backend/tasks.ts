/** Types shared by worker task modules and the pool. */
import type { BackendInfo } from './select.js';

export interface TaskContext {
  /** This worker's index in its pool. */
  index: number;
  backend: BackendInfo;
}

export type Task = (payload: never, ctx: TaskContext) => unknown;

export interface TaskModule {
  tasks: Record<string, Task>;
}

export const TRANSFER = '__transfer__';

/** Marks a task result whose buffers are moved (not copied) back to the main thread. */
export function transferable<T>(value: T, buffers: ArrayBuffer[]): { value: T; [TRANSFER]: ArrayBuffer[] } {
  return { value, [TRANSFER]: buffers };
}

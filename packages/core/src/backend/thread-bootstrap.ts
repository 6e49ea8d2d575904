/**
 * The one way this codebase starts a worker thread on one of its own modules (the backend's worker pool,
 * the job engines' job threads): the compiled `.js` module beside the caller, or, when the caller runs
 * from TypeScript sources (tests), a bootstrap that registers tsx in the new thread before importing the
 * `.ts` module, since a worker thread does not inherit the parent's loader.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running `module` (a file name without extension, beside `callerUrl`, the caller's
 * `import.meta.url`). tsx is resolved from the caller's package: only a package's tests need it.
 */
export function startThread(
  callerUrl: string,
  module: string,
  options: Omit<WorkerOptions, 'eval'> = {},
): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${module}.js`, callerUrl), options);
  // require.resolve picks the CommonJS build; the thread needs the ESM one beside it.
  const tsxApi = pathToFileURL(
    createRequire(callerUrl)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const target = new URL(`./${module}.ts`, callerUrl).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(code, { ...options, eval: true });
}

/**
 * The folder rules of the README's architecture section fail when broken: the `rcn/core-faces` lint rule
 * on an import that reaches into another folder and on a face with `export *`, and the cycle check on a
 * small source tree with a folder cycle (written here into a temp dir). Core's `lint` task runs both on
 * the real src/.
 */
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';
import { describeCycles, folderCycles, folderGraph } from '../../scripts/folder-cycles.js';

const core = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const repo = resolve(core, '../..');

describe('rcn/core-faces lint rule', () => {
  const eslint = new ESLint({ cwd: repo });
  const lint = async (file: string, code: string) => {
    const [r] = await eslint.lintText(code, { filePath: join(core, 'src', file) });
    return r.messages.filter((m) => m.ruleId === 'rcn/core-faces');
  };

  it("reports an import of another folder's internal file, statically, as a re-export or dynamically", async () => {
    const msgs = await lint(
      'explain/new-thing.ts',
      [
        "import { RCN } from '../model/rcn.js';",
        "export { Rng } from '../util/rng.js';",
        "export const load = () => import('../backend/select.js');",
        'export const m = RCN;',
      ].join('\n'),
    );
    expect(msgs.map((m) => m.line)).toEqual([1, 2, 3]);
    expect(msgs[0].message).toContain("import its face '../model/index.js'");
  });

  it('reports it from a subfolder too, and accepts faces and files of the same folder', async () => {
    const bad = await lint('backend/kernels/new-kernel.ts', "import { RCN } from '../../model/rcn.js';\n");
    expect(bad).toHaveLength(1);
    const ok = await lint(
      'explain/new-thing.ts',
      [
        "import { RCN } from '../model/index.js';",
        "import { regionTile } from './render.js';",
        'export const x = [RCN, regionTile];',
      ].join('\n'),
    );
    expect(ok).toEqual([]);
  });

  it("accepts a folder's browser face as a face, and nothing else of the folder", async () => {
    expect(
      await lint(
        'explain/new-thing.ts',
        "import { RCN } from '../model/browser.js';\nexport const x = RCN;\n",
      ),
    ).toEqual([]);
    expect(
      await lint(
        'explain/new-thing.ts',
        "import { RCN } from '../model/browsers.js';\nexport const x = RCN;\n",
      ),
    ).toHaveLength(1);
  });

  it('reports `export *` in a face and in the package root', async () => {
    expect(await lint('model/index.ts', "export * from './rcn.js';\n")).toHaveLength(1);
    expect(await lint('model/browser.ts', "export * from './rcn.js';\n")).toHaveLength(1);
    expect(await lint('browser.ts', "export * from './model/browser.js';\n")).toHaveLength(1);
    expect(await lint('index.ts', "export * from './model/index.js';\n")).toHaveLength(1);
    expect(await lint('model/rcn-parts.ts', "export * from './rcn.js';\n")).toEqual([]);
  });
});

describe('folder cycle check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rcn-folders-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const put = (file: string, text: string) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  };

  it('finds a cycle made of a value import, a type-only import and a dynamic import', () => {
    put('a/index.ts', "import { b } from '../b/index.js';\nexport const a = b;\n");
    put('b/index.ts', "import type { C } from '../c/c.js';\nexport const b = 1 as unknown as C;\n");
    put('c/c.ts', "export type C = number;\nexport const load = () => import('../a/index.js');\n");
    put('d/index.ts', "import { a } from '../a/index.js';\nexport const d = a;\n");
    const graph = folderGraph(dir);
    const cycles = folderCycles(graph);
    expect(cycles).toEqual([['a', 'b', 'c', 'a']]);
    expect(describeCycles(graph, cycles)).toContain("c -> a  (c/c.ts: '../a/index.js')");
  });

  it('passes once the loop is cut', () => {
    put('c/c.ts', 'export type C = number;\n');
    expect(folderCycles(folderGraph(dir))).toEqual([]);
  });

  it('passes on the real src/', () => {
    const graph = folderGraph(join(core, 'src'));
    expect(graph.get('train')?.has('model')).toBe(true);
    expect(describeCycles(graph, folderCycles(graph))).toBe('');
  });
});

describe("the README's table of faces", () => {
  /** Names a face exports: its `export { ... } from` lists, `type` markers and `as` renames resolved. */
  const faceNames = (folder: string, face = 'index.ts'): string[] => {
    const text = readFileSync(join(core, 'src', folder, face), 'utf8');
    return [...text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}\s*from/g)]
      .flatMap((m) => m[1].split(','))
      .map((n) =>
        n
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)
          .pop()!,
      )
      .filter(Boolean)
      .sort();
  };

  it('lists exactly what each face exports and which folders each folder imports (node scripts/faces-codemod.mjs rewrites it)', () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const block = readme.slice(readme.indexOf('<!-- faces: generated'), readme.indexOf('<!-- /faces -->'));
    const rows = new Map(
      [...block.matchAll(/^\| `(\w+)\/` +\|([^|]*)\|([^|]*)\|([^|]*)\|$/gm)].map((m) => [
        m[1],
        {
          deps: [...m[2].matchAll(/`(\w+)\/`/g)].map((x) => x[1]),
          names: [...m[3].matchAll(/`(\w+)`/g)].map((x) => x[1]),
          browser: [...m[4].matchAll(/`(\w+)`/g)].map((x) => x[1]),
        },
      ]),
    );
    const graph = folderGraph(join(core, 'src'));
    expect([...rows.keys()].sort()).toEqual([...graph.keys()].sort());
    for (const [folder, edges] of graph) {
      const row = rows.get(folder)!;
      expect(row.deps, folder).toEqual([...edges.keys()].sort());
      if (existsSync(join(core, 'src', folder, 'index.ts')))
        expect([...row.names].sort(), folder).toEqual(faceNames(folder));
      const browser = existsSync(join(core, 'src', folder, 'browser.ts'))
        ? faceNames(folder, 'browser.ts')
        : [];
      expect([...row.browser].sort(), `${folder}/browser.ts`).toEqual(browser);
    }
  });

  it('exports what scripts/dev.mjs and the dashboard tests take from a face build (no TensorFlow.js through the root)', () => {
    const users = ['scripts/dev.mjs', 'apps/web/test/quickstart.e2e.test.ts'];
    const spec = String.raw`'[^']*packages/core/dist/(\w+)/index\.js'`;
    const forms = [
      new RegExp(String.raw`import\s*\{([^}]*)\}\s*from\s*` + spec, 'g'),
      new RegExp(String.raw`const\s*\{([^}]*)\}\s*=\s*await\s+import\(\s*` + spec, 'g'),
    ];
    const taken = users.flatMap((f) =>
      forms.flatMap((re) =>
        [...readFileSync(join(repo, f), 'utf8').matchAll(re)].flatMap((m) =>
          m[1]
            .split(',')
            .map((n) => n.trim())
            .filter(Boolean)
            .map((n) => ({ file: f, folder: m[2], name: n })),
        ),
      ),
    );
    expect(taken.map((t) => t.name)).toContain('devTokenPath');
    for (const t of taken) expect(faceNames(t.folder), `${t.file}: ${t.name}`).toContain(t.name);
  });
});

/**
 * Fails when packages/core's folders depend on each other in a cycle (README, "Architecture"): every
 * import, type-only and dynamic ones included, between two top folders of src/ is an edge. Run by core's
 * `lint` task: `tsx scripts/folder-cycles.ts [srcDir]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Folder -> folder -> the imports (file: specifier) that make the edge. */
export type FolderGraph = Map<string, Map<string, string[]>>;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

export function folderGraph(srcDir: string): FolderGraph {
  const src = resolve(srcDir);
  const graph: FolderGraph = new Map();
  const folders = readdirSync(src).filter((d) => statSync(join(src, d)).isDirectory());
  for (const folder of folders) {
    const edges = new Map<string, string[]>();
    graph.set(folder, edges);
    for (const file of sources(join(src, folder))) {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName: spec } of importedFiles) {
        if (!spec.startsWith('.')) continue;
        const rel = relative(src, resolve(dirname(file), spec));
        const to = rel.split(sep)[0];
        if (rel.startsWith('..') || to === folder || !folders.includes(to)) continue;
        const list = edges.get(to) ?? [];
        list.push(`${relative(src, file).split(sep).join('/')}: '${spec}'`);
        edges.set(to, list);
      }
    }
  }
  return graph;
}

/** Each strongly connected set of two or more folders, as one cycle through it (Tarjan, then a walk). */
export function folderCycles(graph: FolderGraph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const sccs: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) sccs.push(scc);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  // A concrete cycle inside each set: breadth-first from its first folder back to itself.
  return sccs.map((scc) => {
    const inSet = new Set(scc);
    const start = [...scc].sort()[0];
    const prev = new Map<string, string>();
    const queue = [start];
    while (queue.length) {
      const v = queue.shift()!;
      for (const w of graph.get(v)?.keys() ?? []) {
        if (!inSet.has(w)) continue;
        if (w === start) {
          const path = [v];
          while (path[0] !== start) path.unshift(prev.get(path[0])!);
          return [...path, start];
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return [...scc, scc[0]];
  });
}

/** A readable report of the cycles, each edge with one import that makes it. */
export function describeCycles(graph: FolderGraph, cycles: string[][]): string {
  return cycles
    .map((c) => {
      const steps = c.slice(1).map((to, i) => `  ${c[i]} -> ${to}  (${graph.get(c[i])!.get(to)![0]})`);
      return `folder cycle ${c.join(' -> ')}:\n${steps.join('\n')}`;
    })
    .join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const src = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const graph = folderGraph(src);
  const cycles = folderCycles(graph);
  if (cycles.length) {
    console.error(describeCycles(graph, cycles));
    process.exit(1);
  }
  console.log(`core folders: no cycles (${graph.size} folders)`);
}

#!/usr/bin/env node
/**
 * Keeps packages/core's folder faces real (README, "Architecture"). Re-runnable at any time, e.g. after a
 * merge brought in imports written against the old `export *` faces:
 *
 *  1. An import or re-export in `packages/core/src/<A>/` that reaches an internal file of another folder
 *     `<B>` is pointed at `<B>/index.js`, merged with the file's other imports from that face.
 *  2. Every name another folder takes from a face, and every name the apps (or core's tests) take from the
 *     package root, is exported by name by that face and by `src/index.ts`; missing ones are added, found
 *     by searching the folder's files.
 *  3. A core test that takes a name from a face (or the root) that does not export it imports it from the
 *     file that declares it instead: tests may reach a folder's internals, other folders may not.
 *
 * `--trim` (one-time, or to shrink the faces again) rewrites every face and the root to exactly the names
 * used by other folders, the apps, core's tests through the root, and the README (see `readmeNames`),
 * keeping each face's leading doc comment.
 *
 * Usage: node scripts/faces-codemod.mjs [--trim] [--check]
 *   --check  change nothing; list what would change and exit 1 if anything would.
 * Afterwards run `npx prettier --write packages/core apps` (the script writes plain, unformatted lines).
 * The lint rule `rcn/core-faces` (eslint.config.js) and `packages/core/scripts/check-folders.ts` then
 * catch anything left.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CORE = path.join(ROOT, 'packages/core');
const SRC = path.join(CORE, 'src');
const args = new Set(process.argv.slice(2));
const CHECK = args.has('--check');
const TRIM = args.has('--trim');

/**
 * The documented public API: every name the README writes in backticks (`RCN`, `openDataset(...)`) that a
 * face exports stays exported by the root, whether or not an app imports it today.
 */
function readmeNames() {
  const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return new Set([...text.matchAll(/`([A-Za-z_$][\w$]*)(?:\(|<|`)/g)].map((m) => m[1]));
}

const posix = (p) => p.split(path.sep).join('/');
const walk = (d, ok) =>
  fs.existsSync(d)
    ? fs
        .readdirSync(d, { withFileTypes: true })
        .flatMap((e) =>
          e.isDirectory()
            ? e.name === 'node_modules' || e.name === 'dist' || e.name === '.next'
              ? []
              : walk(path.join(d, e.name), ok)
            : ok(e.name)
              ? [path.join(d, e.name)]
              : [],
        )
    : [];
const isTs = (n) => /\.tsx?$/.test(n) && !n.endsWith('.d.ts');

/** Top folder of a core source file ('' for src/index.ts and anything outside src). */
function folderOf(file) {
  const rel = path.relative(SRC, file);
  if (rel.startsWith('..')) return null;
  const parts = rel.split(path.sep);
  return parts.length > 1 ? parts[0] : '';
}
const faceFile = (folder) => path.join(SRC, folder, 'index.ts');
const isFace = (file) => {
  const f = folderOf(file);
  return f !== null && f !== '' && file === faceFile(f);
};
function resolveRel(from, spec) {
  if (!spec.startsWith('.')) return null;
  const p = path.resolve(path.dirname(from), spec);
  for (const c of [
    p.replace(/\.js$/, '.ts'),
    p.replace(/\.js$/, '.tsx'),
    `${p}.ts`,
    path.join(p, 'index.ts'),
  ])
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  return null;
}
function specTo(from, to) {
  let s = posix(path.relative(path.dirname(from), to)).replace(/\.tsx?$/, '.js');
  if (!s.startsWith('.')) s = `./${s}`;
  return s;
}

function makeProgram() {
  const files = [
    ...walk(SRC, isTs),
    ...walk(path.join(CORE, 'test'), isTs),
    ...['api', 'cli'].flatMap((a) => [
      ...walk(path.join(ROOT, 'apps', a, 'src'), isTs),
      ...walk(path.join(ROOT, 'apps', a, 'test'), isTs),
    ]),
  ];
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowJs: false,
    noEmit: true,
    skipLibCheck: true,
    jsx: ts.JsxEmit.Preserve,
    types: [],
    paths: { '@rcn/core': [path.join(SRC, 'index.ts')] },
    baseUrl: ROOT,
  });
  return { program, checker: program.getTypeChecker(), files };
}

function exportsOf(checker, sf) {
  const sym = sf && checker.getSymbolAtLocation(sf);
  const out = new Map();
  if (!sym) return out;
  for (const s of checker.getExportsOfModule(sym)) {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    out.set(s.name, { isValue: !!(target.flags & ts.SymbolFlags.Value), decl: target.declarations?.[0] });
  }
  return out;
}

/** Files of `folder` (not its face) that export `name`, the declaring file first. */
function findDeclaring(ctx, folder, name) {
  const hits = [];
  for (const f of ctx.files) {
    if (folderOf(f) !== folder || isFace(f)) continue;
    const e = exportsOf(ctx.checker, ctx.program.getSourceFile(f)).get(name);
    if (e) hits.push({ file: f, isValue: e.isValue, declared: e.decl?.getSourceFile().fileName === f });
  }
  hits.sort((a, b) => Number(b.declared) - Number(a.declared));
  return hits[0] ?? null;
}

function namedImports(decl) {
  // [{ name, alias, typeOnly }] of an import/export declaration's named bindings; null if not plain named.
  if (ts.isImportDeclaration(decl)) {
    const c = decl.importClause;
    if (!c) return [];
    if (c.name || (c.namedBindings && !ts.isNamedImports(c.namedBindings))) return null;
    return (c.namedBindings?.elements ?? []).map((e) => ({
      name: (e.propertyName ?? e.name).text,
      alias: e.propertyName ? e.name.text : null,
      typeOnly: c.isTypeOnly || e.isTypeOnly,
    }));
  }
  if (!decl.exportClause || !ts.isNamedExports(decl.exportClause)) return null;
  return decl.exportClause.elements.map((e) => ({
    name: (e.propertyName ?? e.name).text,
    alias: e.propertyName ? e.name.text : null,
    typeOnly: decl.isTypeOnly || e.isTypeOnly,
  }));
}
const binding = (n) => `${n.typeOnly ? 'type ' : ''}${n.name}${n.alias ? ` as ${n.alias}` : ''}`;

const changes = [];
const pending = new Map(); // file -> text
const textOf = (f) => pending.get(f) ?? fs.readFileSync(f, 'utf8');
function write(file, text, why) {
  if (text === textOf(file)) return;
  pending.set(file, text);
  changes.push(`${posix(path.relative(ROOT, file))}: ${why}`);
}
function applyEdits(file, edits, why) {
  if (edits.length === 0) return;
  let text = textOf(file);
  for (const e of edits.sort((a, b) => b.start - a.start))
    text = text.slice(0, e.start) + e.text + text.slice(e.end);
  write(file, text, why);
}
function flush() {
  if (!CHECK) for (const [f, t] of pending) fs.writeFileSync(f, t);
  const n = pending.size;
  pending.clear();
  return n;
}

/** Step 1: cross-folder imports of internal files go to the target's face; merged per face. */
function rewriteImports(ctx) {
  for (const file of ctx.files) {
    const A = folderOf(file);
    if (A === null) continue;
    const sf = ctx.program.getSourceFile(file);
    const edits = [];
    const byFace = new Map(); // face file -> [{ decl, names }]
    let rewrote = new Set();
    const visit = (n) => {
      let lit = null;
      if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier)
        lit = n.moduleSpecifier;
      else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword)
        lit = n.arguments[0];
      if (lit && ts.isStringLiteral(lit)) {
        const target = resolveRel(file, lit.text);
        const B = target && folderOf(target);
        if (target && B && B !== A) {
          const face = faceFile(B);
          if (target !== face) {
            if (ts.isImportDeclaration(n) && namedImports(n) === null)
              throw new Error(`${file}: '${lit.text}': a default or namespace import; change it by hand`);
            edits.push({ start: lit.getStart(sf) + 1, end: lit.getEnd() - 1, text: specTo(file, face) });
            rewrote.add(face);
          }
          if (ts.isImportDeclaration(n)) {
            const list = byFace.get(face) ?? [];
            list.push({ decl: n, names: namedImports(n) });
            byFace.set(face, list);
          }
        }
      }
      n.forEachChild(visit);
    };
    sf.forEachChild(visit);
    // Merge several plain named imports of one face into the first.
    for (const [face, list] of byFace) {
      if (!rewrote.has(face) || list.length < 2 || list.some((l) => l.names === null || l.names.length === 0))
        continue;
      const names = list.flatMap((l) => l.names);
      const allTypes = names.every((x) => x.typeOnly);
      const text = `import ${allTypes ? 'type ' : ''}{ ${names
        .map((x) => binding(allTypes ? { ...x, typeOnly: false } : x))
        .join(', ')} } from '${specTo(file, face)}';`;
      const [first, ...rest] = list;
      // Drop the specifier edits inside merged declarations, then replace/remove the declarations.
      for (const l of list) {
        const s = l.decl.getStart(sf);
        const e = l.decl.getEnd();
        for (let i = edits.length - 1; i >= 0; i--)
          if (edits[i].start >= s && edits[i].end <= e) edits.splice(i, 1);
      }
      edits.push({ start: first.decl.getStart(sf), end: first.decl.getEnd(), text });
      const full = sf.getFullText();
      for (const l of rest) {
        let end = l.decl.getEnd();
        if (full[end] === '\n') end++;
        edits.push({ start: l.decl.getStart(sf), end, text: '' });
      }
    }
    applyEdits(file, edits, 'imports through faces');
  }
}

/** Names each face must export: those other folders import from it. */
function requiredFromFaces(ctx) {
  const req = new Map(); // face -> Map(name -> typeOnly)
  for (const file of ctx.files) {
    const A = folderOf(file);
    if (A === null) continue;
    const sf = ctx.program.getSourceFile(file);
    for (const st of sf.statements) {
      if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) || !st.moduleSpecifier) continue;
      const target = resolveRel(file, st.moduleSpecifier.text);
      const B = target && folderOf(target);
      if (!target || !B || B === A || target !== faceFile(B)) continue;
      if (A === '') {
        // A name the root lists that the folder no longer has (it moved): say so rather than guess.
        const have = exportsOf(ctx.checker, ctx.program.getSourceFile(target));
        for (const n of namedImports(st) ?? [])
          if (!have.has(n.name) && !findDeclaring(ctx, B, n.name))
            throw new Error(
              `src/index.ts re-exports '${n.name}' from ${B}/, which has no such name: delete it there and rerun`,
            );
      }
      const m = req.get(target) ?? new Map();
      for (const n of namedImports(st) ?? []) m.set(n.name, (m.get(n.name) ?? true) && n.typeOnly);
      req.set(target, m);
    }
  }
  return req;
}

/** Names the root must export: what the apps take from '@rcn/core' and core's tests from src/index.js. */
function requiredFromRoot(ctx) {
  const req = new Map();
  const root = path.join(SRC, 'index.ts');
  for (const file of ctx.files) {
    if (folderOf(file) !== null && !file.startsWith(path.join(CORE, 'test'))) continue;
    const sf = ctx.program.getSourceFile(file);
    for (const st of sf.statements) {
      if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) || !st.moduleSpecifier) continue;
      const spec = st.moduleSpecifier.text;
      if (spec !== '@rcn/core' && resolveRel(file, spec) !== root) continue;
      for (const n of namedImports(st) ?? []) req.set(n.name, (req.get(n.name) ?? true) && n.typeOnly);
    }
  }
  const faces = fs
    .readdirSync(SRC)
    .filter((d) => fs.existsSync(faceFile(d)))
    .map((d) => exportsOf(ctx.checker, ctx.program.getSourceFile(faceFile(d))));
  for (const n of readmeNames()) if (!req.has(n) && faces.some((e) => e.has(n))) req.set(n, false);
  return req;
}

function faceHeader(text) {
  const m = text.match(/^(\s*\/\*\*[\s\S]*?\*\/\s*\n)/);
  return m ? m[1].trimStart() : '';
}

/** --trim: each face becomes exactly the names other folders and the root need, by name. */
function trimFaces(ctx) {
  const req = requiredFromFaces(ctx);
  const rootReq = requiredFromRoot(ctx);
  const folders = fs.readdirSync(SRC).filter((d) => fs.existsSync(faceFile(d)));
  // Root names: assign each to the face that exports it today.
  const rootByFace = new Map();
  for (const [name] of rootReq) {
    const face = folders
      .map(faceFile)
      .find((f) => exportsOf(ctx.checker, ctx.program.getSourceFile(f)).has(name));
    if (!face) throw new Error(`'${name}' is imported from the package root but no face exports it`);
    const m = rootByFace.get(face) ?? new Map();
    m.set(name, true);
    rootByFace.set(face, m);
    const r = req.get(face) ?? new Map();
    r.set(name, true);
    req.set(face, r);
  }
  for (const folder of folders) {
    const face = faceFile(folder);
    const names = [...(req.get(face) ?? new Map()).keys()];
    const byFile = new Map();
    for (const name of new Set(names)) {
      const d = findDeclaring(ctx, folder, name);
      if (!d) throw new Error(`${folder}: no file exports '${name}'`);
      const list = byFile.get(d.file) ?? [];
      list.push({ name, alias: null, typeOnly: !d.isValue });
      byFile.set(d.file, list);
    }
    const lines = [...byFile]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([f, list]) =>
          `export { ${list
            .sort((a, b) => a.name.localeCompare(b.name))
            .map(binding)
            .join(', ')} } from '${specTo(face, f)}';`,
      );
    write(face, faceHeader(textOf(face)) + lines.join('\n') + '\n', 'face trimmed to the names used');
  }
  const root = path.join(SRC, 'index.ts');
  const lines = folders
    .map(faceFile)
    .filter((f) => rootByFace.has(f))
    .map((f) => {
      const ex = exportsOf(ctx.checker, ctx.program.getSourceFile(f));
      const list = [...rootByFace.get(f).keys()]
        .sort()
        .map((name) => ({ name, alias: null, typeOnly: !ex.get(name).isValue }));
      return `export { ${list.map(binding).join(', ')} } from '${specTo(root, f)}';`;
    });
  write(root, faceHeader(textOf(root)) + lines.join('\n') + '\n', 'root: the faces, by name');
}

/** Adds `name` to `file`'s exports from `spec`: into an existing `export { ... } from spec` if there is one. */
function addExport(file, name, isValue, spec, why) {
  const text = textOf(file);
  const b = binding({ name, typeOnly: !isValue });
  const esc = spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`,?(\\s*)\\}\\s*from '${esc}';`);
  const next = re.test(text)
    ? text.replace(re, (_m, ws) => `, ${b}${ws}} from '${spec}';`)
    : text.replace(/\n*$/, '\n') + `export { ${b} } from '${spec}';\n`;
  write(file, next, why);
}
const added = new Map(); // face -> Set of names added in this step

/** Step 2: add what a face or the root lacks. */
function completeFaces(ctx) {
  added.clear();
  for (const [face, names] of requiredFromFaces(ctx)) {
    const have = exportsOf(ctx.checker, ctx.program.getSourceFile(face));
    const folder = folderOf(face);
    for (const [name] of names) {
      if (have.has(name) || added.get(face)?.has(name)) continue;
      const d = findDeclaring(ctx, folder, name);
      if (!d) throw new Error(`${folder}: no file exports '${name}' (imported through its face)`);
      addExport(face, name, d.isValue, specTo(face, d.file), `face: + ${name}`);
      added.set(face, new Set([...(added.get(face) ?? []), name]));
    }
  }
  const root = path.join(SRC, 'index.ts');
  const have = exportsOf(ctx.checker, ctx.program.getSourceFile(root));
  const folders = fs.readdirSync(SRC).filter((d) => fs.existsSync(faceFile(d)));
  for (const [name] of requiredFromRoot(ctx)) {
    if (have.has(name)) continue;
    let face = folders
      .map(faceFile)
      .find((f) => exportsOf(ctx.checker, ctx.program.getSourceFile(f)).has(name) || added.get(f)?.has(name));
    let isValue;
    const d = folders.map((f) => ({ f, d: findDeclaring(ctx, f, name) })).find((x) => x.d);
    if (face)
      isValue = exportsOf(ctx.checker, ctx.program.getSourceFile(face)).get(name)?.isValue ?? d?.d.isValue;
    else {
      if (!d) throw new Error(`'${name}' is imported from @rcn/core but declared nowhere in core`);
      face = faceFile(d.f);
      isValue = d.d.isValue;
      addExport(face, name, isValue, specTo(face, d.d.file), `face: + ${name} (for the root)`);
      added.set(face, new Set([...(added.get(face) ?? []), name]));
    }
    addExport(root, name, isValue, specTo(root, face), `root: + ${name}`);
  }
}

/** Step 3: core tests take names a face does not export from the declaring file. */
function pointTestsInside(ctx) {
  const root = path.join(SRC, 'index.ts');
  for (const file of ctx.files.filter((f) => f.startsWith(path.join(CORE, 'test') + path.sep))) {
    const sf = ctx.program.getSourceFile(file);
    const edits = [];
    for (const st of sf.statements) {
      if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
      const target = resolveRel(file, st.moduleSpecifier.text);
      if (!target || !(isFace(target) || target === root)) continue;
      const names = namedImports(st);
      if (!names) continue;
      const have = exportsOf(ctx.checker, ctx.program.getSourceFile(target));
      const keep = names.filter((n) => have.has(n.name));
      const moved = new Map();
      for (const n of names.filter((x) => !have.has(x.name))) {
        const folders =
          target === root
            ? fs.readdirSync(SRC).filter((d) => fs.existsSync(faceFile(d)))
            : [folderOf(target)];
        const d = folders.map((f) => findDeclaring(ctx, f, n.name)).find(Boolean);
        if (!d) continue; // a real error: tsc reports it
        moved.set(d.file, [...(moved.get(d.file) ?? []), { ...n, typeOnly: n.typeOnly || !d.isValue }]);
      }
      if (moved.size === 0) continue;
      const stmts = [];
      if (keep.length)
        stmts.push(`import { ${keep.map(binding).join(', ')} } from '${st.moduleSpecifier.text}';`);
      for (const [f, list] of moved)
        stmts.push(`import { ${list.map(binding).join(', ')} } from '${specTo(file, f)}';`);
      edits.push({ start: st.getStart(sf), end: st.getEnd(), text: stmts.join('\n') });
    }
    applyEdits(file, edits, 'test imports internals it uses from their files');
  }
}

let ctx = makeProgram();
const steps = TRIM
  ? [rewriteImports, trimFaces, pointTestsInside, completeFaces]
  : [rewriteImports, completeFaces, pointTestsInside, completeFaces];
for (const step of steps) {
  step(ctx);
  if (flush()) ctx = makeProgram();
}
for (const c of changes) console.log(c);
console.log(
  changes.length ? `${changes.length} change(s)${CHECK ? ' needed' : ''}` : 'faces: nothing to change',
);
if (CHECK && changes.length) process.exit(1);

/**
 * `rcn/core-faces`: in packages/core/src, a file reaches another folder only through that folder's face
 * (`../<folder>/index.js`, or its browser face `../<folder>/browser.js` where it has one), and a face (or
 * the package root, or its browser entry) exports names, never `export *`.
 * The README's "Architecture" section states the rule; scripts/faces-codemod.mjs fixes violations.
 */
import path from 'node:path';

const SRC = /^(.*[\\/]packages[\\/]core[\\/]src)[\\/](.*)$/;

/** Top folder of `rel` (a path inside src), '' for a file directly in src. */
function topFolder(rel) {
  const parts = rel.split(/[\\/]/);
  return parts.length > 1 ? parts[0] : '';
}

export default {
  meta: {
    type: 'problem',
    docs: { description: "imports between core folders go through the target folder's index.ts" },
    schema: [],
    messages: {
      internal:
        "'{{spec}}' reaches into {{folder}}/; import its face '{{face}}' instead (run node scripts/faces-codemod.mjs)",
      star: 'a face exports by name: replace `export *` with the names other folders use',
    },
  },
  create(context) {
    const m = context.filename.match(SRC);
    if (!m) return {};
    const [, src, rel] = m;
    const from = topFolder(rel);
    const isFace =
      rel === 'index.ts' ||
      rel === 'browser.ts' ||
      (from !== '' && (rel === `${from}/index.ts` || rel === `${from}/browser.ts`));

    function check(node, source) {
      if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = path.relative(src, path.resolve(path.dirname(context.filename), source.value));
      if (target.startsWith('..')) return;
      const to = topFolder(target);
      if (to === '' || to === from) return;
      const posix = target.split(path.sep).join('/');
      if (posix === `${to}/index.js` || posix === `${to}/browser.js`) return;
      let face = path.relative(path.dirname(context.filename), path.join(src, to, 'index.js'));
      face = face.split(path.sep).join('/');
      context.report({
        node: source,
        messageId: 'internal',
        data: { spec: source.value, folder: to, face: face.startsWith('.') ? face : `./${face}` },
      });
    }
    return {
      ImportDeclaration: (n) => check(n, n.source),
      ExportNamedDeclaration: (n) => check(n, n.source),
      ExportAllDeclaration(n) {
        if (isFace) context.report({ node: n, messageId: 'star' });
        check(n, n.source);
      },
      ImportExpression: (n) => check(n, n.source.type === 'Literal' ? n.source : null),
    };
  },
};

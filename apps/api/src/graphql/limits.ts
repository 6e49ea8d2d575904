/**
 * Depth and cost of an operation, measured before it runs. Cost counts each field once, times the size of
 * every list above it (a field's `limit` argument when given, else a per-field estimate), plus a fixed
 * price for fields that run a model. Fragments are expanded; cycles cannot occur (GraphQL forbids them).
 */
import {
  Kind,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/** Items a list field is assumed to return when no `limit` argument says otherwise. */
const LIST_ESTIMATE: Record<string, number> = {
  datasets: 10,
  splits: 5,
  classes: 100,
  images: 20,
  runs: 50,
  jobs: 50,
  metrics: 200,
  checkpoints: 2,
  evaluations: 10,
  perClass: 100,
  support: 25,
  queries: 75,
  supports: 25,
  bestMatches: 10,
  regions: 100,
  parts: 10,
  patches: 20,
  devices: 2,
  cells: 100,
  table: 20,
};

/** Extra cost of fields that run inference or start work. */
const FIELD_PRICE: Record<string, number> = {
  prediction: 200,
  ram: 200,
  prototypicalParts: 1000,
  predict: 200,
  evaluate: 50,
  startTraining: 50,
  resumeTraining: 50,
};

export interface Measure {
  depth: number;
  cost: number;
}

function intValue(v: ValueNode | undefined, variables: Record<string, unknown>): number | undefined {
  if (!v) return undefined;
  if (v.kind === Kind.INT) return Number(v.value);
  if (v.kind === Kind.VARIABLE) {
    const x = variables[v.name.value];
    return typeof x === 'number' ? x : undefined;
  }
  return undefined;
}

export function measureOperation(
  op: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown> = {},
): Measure {
  const walk = (set: SelectionSetNode, depth: number): Measure => {
    let maxDepth = depth;
    let cost = 0;
    for (const sel of set.selections) {
      let inner: Measure | null = null;
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value.startsWith('__')) {
          // Introspection is bounded by the schema itself; count it as one field.
          cost += 1;
          continue;
        }
        const child = sel.selectionSet ? walk(sel.selectionSet, depth + 1) : { depth: depth + 1, cost: 0 };
        const limitArg = sel.arguments?.find((a) => a.name.value === 'limit');
        const n = intValue(limitArg?.value, variables) ?? LIST_ESTIMATE[sel.name.value] ?? 1;
        cost += 1 + (FIELD_PRICE[sel.name.value] ?? 0) + Math.max(1, n) * child.cost;
        maxDepth = Math.max(maxDepth, child.depth);
        continue;
      }
      if (sel.kind === Kind.INLINE_FRAGMENT) inner = walk(sel.selectionSet, depth);
      else {
        const frag = fragments[sel.name.value];
        if (frag) inner = walk(frag.selectionSet, depth);
      }
      if (inner) {
        cost += inner.cost;
        maxDepth = Math.max(maxDepth, inner.depth);
      }
    }
    return { depth: maxDepth, cost };
  };
  return walk(op.selectionSet, 0);
}

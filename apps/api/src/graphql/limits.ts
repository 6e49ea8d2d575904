/**
 * Depth and cost of an operation, measured before it runs. Cost counts each field once, times the size of
 * every list above it (a field's `limit` argument when given, else a per-field estimate), plus a fixed
 * price for fields that run a model. Fragments are expanded; cycles cannot occur (GraphQL forbids them).
 */
import {
  Kind,
  type FieldNode,
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
  taskEvaluations: 10,
  perEpisode: 100,
};

/** Extra cost of fields that run inference or start work. */
const FIELD_PRICE: Record<string, number> = {
  prediction: 200,
  ram: 200,
  prototypicalParts: 1000,
  predict: 200,
  taskPrediction: 200,
  taskRam: 200,
  evaluate: 50,
  evaluateTasks: 50,
  startTraining: 50,
  resumeTraining: 50,
};

export interface Measure {
  depth: number;
  cost: number;
  /** Model work units (see `Limits.maxWork`): images through the backbone plus compared pairs. */
  work: number;
}

/** Shape bounds used where an argument's value is not known before execution (the worst case). */
export interface ShapeBounds {
  maxWay: number;
  maxShot: number;
  maxQuery: number;
  maxPartsEpisodes: number;
  /** Images of one uploaded prediction or one opened task episode. */
  maxUploadImages?: number;
}

/** Work of one episode: every image through the backbone, every (support, query) pair compared. */
export function episodeWork(way: number, shot: number, query: number): number {
  return way * (shot + query) + way * shot * (way * query);
}

function objectValue(
  v: ValueNode | undefined,
  variables: Record<string, unknown>,
): Record<string, unknown> | undefined {
  if (!v) return undefined;
  if (v.kind === Kind.VARIABLE) {
    const x = variables[v.name.value];
    return x && typeof x === 'object' ? (x as Record<string, unknown>) : undefined;
  }
  if (v.kind !== Kind.OBJECT) return undefined;
  const out: Record<string, unknown> = {};
  for (const f of v.fields) out[f.name.value] = intValue(f.value, variables);
  return out;
}

function listLength(v: ValueNode | undefined, variables: Record<string, unknown>): number | undefined {
  if (!v) return undefined;
  if (v.kind === Kind.LIST) return v.values.length;
  if (v.kind === Kind.VARIABLE) {
    const x = variables[v.name.value];
    return Array.isArray(x) ? x.length : undefined;
  }
  return undefined;
}

/** Model work a field asks for, from its arguments; unknown sizes count as the largest allowed. */
function fieldWork(sel: FieldNode, variables: Record<string, unknown>, b: ShapeBounds): number {
  const arg = (name: string) => sel.arguments?.find((a) => a.name.value === name)?.value;
  const num = (v: unknown, max: number) =>
    typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.min(v, max)) : max;
  switch (sel.name.value) {
    case 'prediction':
    case 'ram': {
      const e = objectValue(arg('episode'), variables) ?? {};
      return episodeWork(num(e.way, b.maxWay), num(e.shot, b.maxShot), num(e.query, b.maxQuery));
    }
    case 'prototypicalParts': {
      const n = (name: string, dflt: number, max: number) => num(intValue(arg(name), variables) ?? dflt, max);
      return (
        n('episodes', 40, b.maxPartsEpisodes) *
        episodeWork(n('way', 5, b.maxWay), n('shot', 1, b.maxShot), n('query', 5, b.maxQuery))
      );
    }
    // An episode of a tasks file holds at most `maxUploadImages` images: the worst split of them.
    case 'taskPrediction':
    case 'taskRam': {
      const n = b.maxUploadImages ?? 64;
      return n + Math.floor(n / 2) * Math.ceil(n / 2);
    }
    case 'predict': {
      const s = listLength(arg('supports'), variables) ?? b.maxWay * b.maxShot;
      const q = listLength(arg('queries'), variables) ?? b.maxWay * b.maxQuery;
      return s + q + s * q;
    }
    default:
      return 0;
  }
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

const NO_BOUNDS: ShapeBounds = { maxWay: 20, maxShot: 10, maxQuery: 20, maxPartsEpisodes: 300 };

export function measureOperation(
  op: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown> = {},
  bounds: ShapeBounds = NO_BOUNDS,
): Measure {
  const walk = (set: SelectionSetNode, depth: number): Measure => {
    let maxDepth = depth;
    let cost = 0;
    let work = 0;
    for (const sel of set.selections) {
      let inner: Measure | null = null;
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value.startsWith('__')) {
          // Introspection is bounded by the schema itself; count it as one field.
          cost += 1;
          continue;
        }
        const child = sel.selectionSet
          ? walk(sel.selectionSet, depth + 1)
          : { depth: depth + 1, cost: 0, work: 0 };
        const limitArg = sel.arguments?.find((a) => a.name.value === 'limit');
        const n = intValue(limitArg?.value, variables) ?? LIST_ESTIMATE[sel.name.value] ?? 1;
        cost += 1 + (FIELD_PRICE[sel.name.value] ?? 0) + Math.max(1, n) * child.cost;
        work += fieldWork(sel, variables, bounds) + Math.max(1, n) * child.work;
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
        work += inner.work;
        maxDepth = Math.max(maxDepth, inner.depth);
      }
    }
    return { depth: maxDepth, cost, work };
  };
  return walk(op.selectionSet, 0);
}

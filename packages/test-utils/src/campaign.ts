/** A tiny reproduction campaign on tiny-imagenet-32 for the tests: one stage, a few episodes per cell. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TinyCampaign {
  /** The zoo name template of the stage's cells (`tiny-{method}-5w{shot}s`). */
  zoo: string;
  methods: string[];
  episodes: number;
  /** YAML of the stage's `eval` entry (a mapping or a list). */
  eval: string;
  /** YAML lines the stage adds after its grid (`seeds: [0]`). */
  extra?: string[];
  /** YAML of the stage's base `model` mapping, if any. */
  model?: string;
}

/**
 * A new temporary folder (`prefix` names it) holding `campaign/campaign.yaml` (runs in `campaign/runs`, the
 * zoo in `zoo/`) and its stage; returns the folder.
 */
export async function tinyCampaign(prefix: string, c: TinyCampaign): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const dir = join(root, 'campaign');
  await mkdir(join(dir, 'stages'), { recursive: true });
  await writeFile(
    join(dir, 'campaign.yaml'),
    `runsDir: runs\nzooDir: ../zoo\nstages:\n  - sweep: stages/tiny.yaml\n    zoo: ${c.zoo}\n`,
  );
  const model = c.model ? `, model: ${c.model}` : '';
  await writeFile(
    join(dir, 'stages', 'tiny.yaml'),
    [
      'name: tiny',
      `base: { dataset: tiny-imagenet-32, way: 5, shot: 1, query: 2, valQuery: 2, episodes: ${c.episodes}, valEvery: 2,`,
      `        valEpisodes: 2, workers: 1, backend: wasm${model} }`,
      `grid: { method: [${c.methods.join(', ')}] }`,
      ...(c.extra ?? []),
      `eval: ${c.eval}`,
    ].join('\n'),
  );
  return root;
}

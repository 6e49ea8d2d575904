'use client';
/**
 * The try page's "on this device" mode in the dashboard: the models are the runs' checkpoints and the
 * zoo's (their files through `/checkpoints/...`), and an episode of the model's dataset can be taken by
 * its identity (the API's `episode`: image URLs only). Predictions and maps are computed in this browser.
 */
import { useSearchParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { useClient } from 'urql';
import { useGql } from '@/lib/gql';
import { jsonObject } from '@/lib/json';
import { pct, shortName } from '@/lib/format';
import { CHECKPOINTS, EPISODE } from '@/lib/queries';
import { LocalTry, type DatasetEpisode, type LocalModel } from '@/local/LocalTry';
import { EpisodePicker, parseEpisodeParam, type EpisodeChoice } from '@/local/EpisodePicker';

interface ZooModel {
  name: string;
  url: string;
  method: string;
  dataset: string | null;
  imageSize: number;
}

function useZoo(): ZooModel[] {
  const [zoo, setZoo] = useState<ZooModel[]>([]);
  useEffect(() => {
    fetch('/checkpoints/zoo/')
      .then((r) => (r.ok ? (r.json() as Promise<{ models: ZooModel[] }>) : { models: [] }))
      .then(
        (b) => setZoo(b.models),
        () => setZoo([]),
      );
  }, []);
  return zoo;
}

export function DeviceTry() {
  const params = useSearchParams();
  const client = useClient();
  const { data } = useGql(CHECKPOINTS, {});
  const zoo = useZoo();
  const models: LocalModel[] = [
    ...(data?.runs ?? []).flatMap((run) =>
      run.checkpoints.map((c) => {
        const [runId, name] = c.ref.split('/');
        const cfg = jsonObject(run.config);
        return {
          id: c.ref,
          label: `${c.ref} (${run.dataset}, ${String(cfg.way)}w${String(cfg.shot)}s, val ${pct(run.bestValAccuracy)})`,
          url: `/checkpoints/runs/${encodeURIComponent(runId)}/${encodeURIComponent(name)}/`,
        };
      }),
    ),
    ...zoo.map((z) => ({
      id: `zoo/${z.name}`,
      label: `zoo: ${z.name} (${z.method}, ${z.dataset ?? 'no dataset'}, ${z.imageSize} px)`,
      url: z.url,
    })),
  ];
  const backend = params.get('backend');

  const fetchEpisode = async (c: EpisodeChoice): Promise<DatasetEpisode> => {
    const r = await client.query(EPISODE, c).toPromise();
    if (r.error) throw r.error;
    const e = r.data?.episode;
    if (!e) throw new Error(`no episode ${c.dataset}:${c.split}`);
    return {
      title: `episode ${e.id}`,
      classes: e.classes.map((cl) => ({
        name: shortName(cl.name),
        support: e.support.filter((s) => s.label === cl.label).map((s) => ({ url: s.url, name: s.imageId })),
      })),
      queries: e.queries.map((q) => ({ url: q.url, name: q.imageId, label: q.label })),
    };
  };

  return (
    <LocalTry
      models={data ? models : []}
      initialModel={params.get('checkpoint')}
      base={typeof window === 'undefined' ? 'http://localhost/' : `${window.location.origin}/`}
      backend={backend === 'webgpu' || backend === 'wasm' ? backend : 'auto'}
      ourKernels={params.get('kernels') !== 'stock'}
      episodePicker={(load, ck) =>
        ck?.dataset ? (
          <EpisodePicker
            dataset={ck.dataset}
            initial={parseEpisodeParam(params.get('episode'), ck.dataset)}
            onPick={async (c) => load(await fetchEpisode(c))}
          />
        ) : null
      }
    />
  );
}

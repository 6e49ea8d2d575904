/**
 * The browser entry (`src/browser.ts`, `@rcn/core/browser`): it bundles for a browser with no Node module
 * on its path; a checkpoint fetched over HTTP is the checkpoint `openCheckpoint` reads (same weights, same
 * predictions and RAMs on a real Omniglot episode as the server's Predictor and Explainer), with the
 * on-disk errors; and images decoded elsewhere (RGBA) get the checkpoint's treatment: dataset images
 * unchanged, other images within a grey level of sharp's.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { openDataset, preprocessImage, type FewShotDataset } from '../../src/data/index.js';
import { datasetImage, prepareImage } from '../../src/data/browser.js';
import { buildEpisodeArrays, sampleEpisode } from '../../src/episodes/index.js';
import { explainEpisodeArrays } from '../../src/explain/browser.js';
import { Explainer } from '../../src/explain/index.js';
import { openCheckpoint, type OpenedCheckpoint } from '../../src/model/index.js';
import { fetchCheckpoint } from '../../src/model/browser.js';
import { imagesToArrays, runEpisode } from '../../src/predict/browser.js';
import { Predictor } from '../../src/predict/index.js';
import { defaultTrainConfig, train } from '../../src/train/index.js';
import { requireSharedData } from '@rcn/test-utils';

const core = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('the browser entry as a bundle', () => {
  it('bundles for a browser with no Node module and none of the Node faces on its path', async () => {
    // platform 'browser' fails on any `node:` import or Node-only package (sharp, worker_threads).
    const r = await esbuild.build({
      entryPoints: [join(core, 'src', 'browser.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      splitting: true,
      outdir: join(tmpdir(), 'rcn-browser-bundle'),
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const ours = Object.keys(r.metafile.inputs).filter((p) => p.startsWith('src/'));
    // The model, the maps and the prediction bookkeeping are there ...
    for (const f of [
      'src/model/methods/rcn.ts',
      'src/explain/ram.ts',
      'src/predict/run-episode.ts',
      'src/data/prepare.ts',
    ])
      expect(ours).toContain(f);
    // ... and no folder's Node face, file reader, decoder or worker pool.
    const nodeFiles = [
      'model/checkpoints/checkpoint',
      'model/checkpoints/open',
      'data/image',
      'data/preprocess',
      'backend/pool',
      'backend/select',
    ];
    expect(
      ours.filter((p) => /^src\/[a-z]+\/index\.ts$/.test(p) || nodeFiles.some((f) => p === `src/${f}.ts`)),
    ).toEqual([]);
    const imports = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter((p) => p.startsWith('node:'))).toEqual([]);
  });
});

const data = requireSharedData('omniglot');

/** Serves `root` read-only over HTTP on a free loopback port; counts the requests. */
async function serve(root: string): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    requests.push(path);
    readFile(join(root, path))
      .then((b) => res.writeHead(200, { 'content-length': b.length }).end(b))
      .catch(() => res.writeHead(404).end('not found'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server, requests };
}

/** RGBA of HWC pixels (1 or 3 channels), as a canvas would decode them. */
function rgba(
  pixels: Uint8Array,
  size: number,
  channels: 1 | 3,
): { width: number; height: number; data: Uint8Array } {
  const out = new Uint8Array(size * size * 4);
  for (let p = 0; p < size * size; p++)
    for (let c = 0; c < 4; c++)
      out[4 * p + c] = c === 3 ? 255 : pixels[p * channels + (channels === 1 ? 0 : c)];
  return { width: size, height: size, data: out };
}

describe.skipIf(!data.available)('a checkpoint over HTTP, against the server path', () => {
  let root: string;
  let ckDir: string;
  let http: Awaited<ReturnType<typeof serve>>;
  let local: OpenedCheckpoint;
  let ds: FewShotDataset;

  beforeAll(async () => {
    await initBackend('wasm');
    root = await mkdtemp(join(tmpdir(), 'rcn-browser-'));
    // A real checkpoint: a short Omniglot training run (Conv4 at 28 px, 5-way 1-shot).
    await train(
      defaultTrainConfig({
        dataset: 'omniglot',
        dataDir: data.dir,
        episodes: 20,
        valEvery: 20,
        valEpisodes: 2,
        query: 3,
        valQuery: 3,
        workers: 1,
        backend: 'wasm',
      }),
      { runsDir: root, runId: 'tiny' },
    );
    ckDir = join(root, 'tiny', 'checkpoints', 'best');
    http = await serve(root);
    local = await openCheckpoint(ckDir);
    ds = await openDataset('omniglot', 'test', {
      dataDir: data.dir,
      imageSize: local.model.config.imageSize,
      normalization: local.normalization,
    });
  });

  afterAll(async () => {
    local?.dispose();
    http?.server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('loads the weights, description and size the folder holds', async () => {
    const remote = await fetchCheckpoint(`${http.url}/tiny/checkpoints/best`);
    try {
      expect(remote.url).toBe(`${http.url}/tiny/checkpoints/best/`);
      expect(remote.method).toBe('rcn');
      expect(remote.input).toEqual(local.input);
      expect(remote.geometry).toEqual(local.geometry);
      expect(remote.dataset).toBe('omniglot');
      const files = ['model.json', 'metadata.json', 'weights.bin'];
      const sizes = await Promise.all(files.map(async (f) => (await readFile(join(ckDir, f))).length));
      expect(remote.bytes).toBe(sizes.reduce((a, b) => a + b, 0));
      const a = remote.model.getWeights();
      const b = local.model.getWeights();
      expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
      for (const [k, v] of a) expect(Array.from(v.data)).toEqual(Array.from(b.get(k)!.data));
    } finally {
      remote.dispose();
    }
  });

  it("answers a real episode as the server's Predictor and Explainer do, to the last bit, leaking nothing", async () => {
    const remote = await fetchCheckpoint(`${http.url}/tiny/checkpoints/best/`);
    const predictor = await Predictor.open(ckDir, { dataDir: data.dir });
    const explainer = await Explainer.open(ckDir, { dataDir: data.dir });
    try {
      const spec = { dataset: 'omniglot', split: 'test', way: 5, shot: 1, query: 3, seed: 7, index: 2 };
      const server = await predictor.episode(spec);
      const episode = sampleEpisode(ds, spec);
      // The browser's inputs: the dataset's pixels (as the API serves them) through datasetImage.
      const img = async (id: string) =>
        datasetImage(rgba(await ds.getImage(id), ds.shape.height, ds.shape.channels), remote.input);
      const supports = await Promise.all(
        [0, 1, 2, 3, 4].map((c) =>
          Promise.all(episode.support.filter((s) => s.label === c).map((s) => img(s.imageId))),
        ),
      );
      const queries = await Promise.all(episode.query.map((q) => img(q.imageId)));
      const arrays = imagesToArrays(
        remote.input,
        supports,
        queries,
        episode.query.map((q) => q.label),
      );
      const reference = await buildEpisodeArrays(ds, episode, { augmentQueries: false });
      expect(Array.from(arrays.support)).toEqual(Array.from(reference.support));
      expect(Array.from(arrays.queries)).toEqual(Array.from(reference.queries));

      await explainEpisodeArrays(remote, arrays); // the backend's first use of some kernels caches
      const before = tf.memory().numTensors;
      const { prediction, ram } = await explainEpisodeArrays(remote, arrays);
      expect(tf.memory().numTensors).toBe(before);
      expect(prediction.queries.map((q) => q.probabilities)).toEqual(
        server.queries.map((q) => q.probabilities),
      );
      expect(prediction.queries.map((q) => q.supports)).toEqual(server.queries.map((q) => q.supports));
      const pair = await explainer.pair(episode.id, 4, 2);
      const at = (4 * 5 + 2) * ram.regions;
      expect(Array.from(ram.regionScores.subarray(at, at + ram.regions))).toEqual(pair.pair.scores);
      expect(Array.from(ram.bestMatch.subarray(at, at + ram.regions))).toEqual(pair.pair.bestMatch);
      // Without maps: one plain forward pass, the same probabilities.
      const plain = await runEpisode(remote, arrays);
      expect(plain.queries.map((q) => q.probabilities)).toEqual(
        prediction.queries.map((q) => q.probabilities),
      );
    } finally {
      remote.dispose();
      predictor.dispose();
      explainer.dispose();
    }
  });

  it('refuses what it cannot trust, with the on-disk codes', async () => {
    await expect(fetchCheckpoint(`${http.url}/nowhere/`)).rejects.toMatchObject({
      code: 'CHECKPOINT_NOT_FOUND',
    });
    const bad = join(root, 'bad');
    await cp(ckDir, bad, { recursive: true });
    const manifest = JSON.parse(await readFile(join(bad, 'model.json'), 'utf8')) as {
      weightsManifest: { paths: string[] }[];
    };
    manifest.weightsManifest[0].paths = ['../tiny/checkpoints/best/weights.bin'];
    await writeFile(join(bad, 'model.json'), JSON.stringify(manifest));
    await expect(fetchCheckpoint(`${http.url}/bad/`)).rejects.toMatchObject({
      code: 'CHECKPOINT_INVALID',
      message: expect.stringContaining('leaves the folder'),
    });
    manifest.weightsManifest[0].paths = ['./weights.bin'];
    await writeFile(join(bad, 'model.json'), JSON.stringify(manifest));
    const w = await readFile(join(bad, 'weights.bin'));
    await writeFile(join(bad, 'weights.bin'), w.subarray(0, w.length - 8));
    await expect(fetchCheckpoint(`${http.url}/bad/`)).rejects.toMatchObject({
      code: 'CHECKPOINT_INVALID',
      message: expect.stringContaining('truncated'),
    });
  });

  it("treats other images within a grey level (on average) of the server's sharp path", async () => {
    // Real drawings and photos at other sizes: Omniglot characters scaled up (the Omniglot treatment),
    // and tiny-imagenet photos enlarged to 50 px, for a model taking 28 px grey and one taking 32 px RGB.
    const omni = local.input;
    const rgbSpec = { ...omni, channels: 3 as const, resize: 'lanczos3' as const, size: 32 };
    const diffs: number[] = [];
    const photos = requireSharedData('tiny-imagenet-32');
    const sources: { bytes: Buffer; spec: typeof omni }[] = [];
    for (const id of ds.classes.slice(0, 4).map((c) => c.imageIds[0])) {
      const px = await ds.getImage(id);
      const png = await sharp(Buffer.from(px), { raw: { width: 28, height: 28, channels: 1 } })
        .resize(140, 140, { kernel: 'nearest' })
        .png()
        .toBuffer();
      sources.push({ bytes: png, spec: omni });
    }
    if (photos.available) {
      const names = (await readFile(join(photos.dir, 'tiny-imagenet-32', 'test.csv'), 'utf8'))
        .split('\n')
        .slice(1, 5);
      for (const name of names.map((l) => l.split(',')[0])) {
        const jpeg = await readFile(join(photos.dir, 'tiny-imagenet-32', 'images', name));
        sources.push({ bytes: await sharp(jpeg).resize(50, 50).png().toBuffer(), spec: rgbSpec });
      }
    }
    for (const { bytes, spec } of sources) {
      const server = await preprocessImage(bytes, 'upload', spec);
      const { data: raw, info } = await sharp(bytes)
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const here = prepareImage({ width: info.width, height: info.height, data: raw }, spec);
      expect(here.pixels.length).toBe(server.pixels.length);
      let sum = 0;
      for (let i = 0; i < here.pixels.length; i++) sum += Math.abs(here.pixels[i] - server.pixels[i]);
      diffs.push(sum / here.pixels.length);
      expect(here.stats.mean[0]).toBeCloseTo(server.stats.mean[0], 1);
    }
    console.log(
      `[browser] mean |prepareImage - sharp| per image, grey levels: ${diffs.map((d) => d.toFixed(2)).join(', ')}`,
    );
    for (const d of diffs) expect(d).toBeLessThan(1);
  });
});

/**
 * The static demo's page (`pnpm cli export-demo`): the try page's "on this device" mode with no API and
 * no server code. It reads `demo.json` beside it, loads the exported model and offers its example
 * episodes; everything is computed in the visitor's browser.
 */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { isDemoManifest, type DemoManifest } from '@rcn/core/browser';
import { ErrorBox } from '@/components/common';
import { LocalTry } from '@/local/LocalTry';
import '../app/globals.css';

function Examples({
  m,
  load,
}: {
  m: DemoManifest;
  load: (e: DemoManifest['episodes'][number]) => Promise<void>;
}) {
  const [at, setAt] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const pick = (i: number) => {
    setAt(i);
    setError(null);
    load(m.episodes[i]).catch((e: unknown) => setError((e as Error).message));
  };
  // The first example is ready when the page opens.
  useEffect(() => pick(0), []);
  if (!m.episodes.length) return null;
  return (
    <div className="row" style={{ alignItems: 'flex-end' }}>
      <label className="field">
        Example episode from {m.dataset?.name ?? 'the dataset'}
        <select value={at} onChange={(e) => pick(Number(e.target.value))} data-testid="demo-episode">
          {m.episodes.map((e, i) => (
            <option key={i} value={i}>
              {e.title}
            </option>
          ))}
        </select>
      </label>
      <ErrorBox error={error} title="Example" />
    </div>
  );
}

function Demo() {
  const [m, setM] = useState<DemoManifest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const params = new URLSearchParams(window.location.search);
  const backend = params.get('backend');
  useEffect(() => {
    fetch('demo.json')
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`demo.json: HTTP ${r.status}`))))
      .then((v: unknown) =>
        isDemoManifest(v) ? setM(v) : Promise.reject(new Error('demo.json: not an RCN demo manifest')),
      )
      .catch((e: unknown) => setError((e as Error).message));
  }, []);
  return (
    <main id="main">
      <h1>{m?.title ?? 'RCN Studio demo'}</h1>
      <p className="lede">
        A few-shot classifier running in your browser: give labelled support images per class and some queries
        (or use an example); it compares their regions and shows which regions decided. Nothing you add leaves
        this page.
      </p>
      <ErrorBox error={error} title="Demo" />
      {m ? (
        <LocalTry
          models={[{ id: 'model', label: m.model.label, url: m.model.url }]}
          base={document.baseURI}
          backend={backend === 'webgpu' || backend === 'wasm' ? backend : 'auto'}
          ourKernels={params.get('kernels') !== 'stock'}
          episodePicker={(load) => <Examples m={m} load={load} />}
          footer={
            <footer className="small muted" style={{ marginTop: 16 }} data-testid="demo-credit">
              {m.dataset ? (
                <p>
                  Example images: {m.dataset.credit}
                  {m.dataset.licenceUrl ? (
                    <>
                      {' '}
                      (<a href={m.dataset.licenceUrl}>licence</a>)
                    </>
                  ) : null}
                  .
                </p>
              ) : null}
              <p>
                Made with RCN Studio: Region Comparison Network (Xue et al., 2020, arXiv 2009.03558) on
                TensorFlow.js.
              </p>
            </footer>
          }
        />
      ) : null}
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Demo />
  </StrictMode>,
);

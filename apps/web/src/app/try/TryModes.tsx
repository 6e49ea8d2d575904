'use client';
/** The try page's two modes: the API computes (images uploaded), or this browser does (nothing uploaded). */
import dynamic from 'next/dynamic';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { TryImages } from './TryImages';

// TensorFlow.js and the model code come only with this mode, in a chunk of their own.
const DeviceTry = dynamic(() => import('./DeviceTry').then((m) => m.DeviceTry), {
  ssr: false,
  loading: () => <p className="small muted">Loading the on-device mode…</p>,
});

export function TryModes() {
  const params = useSearchParams();
  const router = useRouter();
  const path = usePathname();
  const device = params.get('mode') === 'device';
  const to = (mode: 'server' | 'device') => {
    const next = new URLSearchParams(params);
    if (mode === 'device') next.set('mode', 'device');
    else next.delete('mode');
    router.replace(`${path}${next.size ? `?${next}` : ''}`);
  };
  return (
    <>
      <div className="segmented" role="group" aria-label="Where the model runs" style={{ marginBottom: 10 }}>
        <button type="button" aria-pressed={!device} onClick={() => to('server')}>
          On the server
        </button>
        <button type="button" aria-pressed={device} onClick={() => to('device')} data-testid="mode-device">
          On this device
        </button>
      </div>
      <p className="small muted" style={{ marginTop: 0 }}>
        {device
          ? 'The checkpoint is downloaded and runs in this browser (WebGPU where available, else WebAssembly SIMD): your images never leave it.'
          : 'Images are downscaled in your browser to at most 96 px and sent to the API, which computes the answer.'}
      </p>
      {device ? <DeviceTry /> : <TryImages />}
    </>
  );
}

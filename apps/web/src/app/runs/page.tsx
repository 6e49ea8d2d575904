import type { Metadata } from 'next';
import { Suspense } from 'react';
import { RunsView } from './RunsView';

export const metadata: Metadata = { title: 'Runs' };

export default function RunsPage() {
  return (
    <>
      <h1>Runs</h1>
      <p className="lede">
        Training runs with live curves. Tick runs to overlay their curves and compare their configurations.
      </p>
      <Suspense>
        <RunsView />
      </Suspense>
    </>
  );
}

import type { Metadata } from 'next';
import { Suspense } from 'react';
import { TryModes } from './TryModes';

export const metadata: Metadata = { title: 'Try your images' };

export default function TryPage() {
  return (
    <>
      <h1>Try your own images</h1>
      <p className="lede">
        Give a few labelled support images per class (the same number for every class) and some query images;
        the checkpoint classifies each query by comparing its regions with the supports&apos;.
      </p>
      <Suspense>
        <TryModes />
      </Suspense>
    </>
  );
}

import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Explorer } from './Explorer';

export const metadata: Metadata = { title: 'Episode explorer' };

export default function ExplorePage() {
  return (
    <>
      <h1>Episode explorer</h1>
      <p className="lede">
        Rebuild any few-shot episode from its identity, see what a checkpoint predicts for each query, and
        why: the region activation map (RAM) shows, for every support region k, its contribution w<sub>k</sub>
        ·r<sub>k</sub> to the class score, where r<sub>k</sub> is the region&apos;s best similarity to the
        query and w<sub>k</sub> its learned weight.
      </p>
      <Suspense>
        <Explorer />
      </Suspense>
    </>
  );
}

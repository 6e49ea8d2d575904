'use client';
/** The charts (recharts, the heaviest dependency) load after the page's tables: code-split here. */
import dynamic from 'next/dynamic';
import { Skeleton } from './common';

export const Curves = dynamic(() => import('./Curves').then((m) => m.Curves), {
  ssr: false,
  loading: () => <Skeleton height={240} label="Loading charts" />,
});
export type { CurveRun } from './Curves';

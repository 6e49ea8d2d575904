import type { Metadata } from 'next';
import { SweepsView } from './SweepsView';

export const metadata: Metadata = { title: 'Sweeps' };

export default function SweepsPage() {
  return (
    <>
      <h1>Sweeps</h1>
      <p className="lede">
        Grids of settings x seeds started with <code>pnpm cli sweep</code>, run here or by queue workers:
        progress per cell, and the results table (mean test accuracy over seeds, 95% CI across seeds).
      </p>
      <SweepsView />
    </>
  );
}

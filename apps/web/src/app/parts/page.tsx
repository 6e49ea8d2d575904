import type { Metadata } from 'next';
import { Parts } from './Parts';

export const metadata: Metadata = { title: 'Prototypical parts' };

export default function PartsPage() {
  return (
    <>
      <h1>Prototypical parts</h1>
      <p className="lede">
        The support regions that most typify a class for a checkpoint: the regions with the highest learned
        weight and similarity across the class&apos;s images.
      </p>
      <Parts />
    </>
  );
}

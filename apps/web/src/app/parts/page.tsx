import type { Metadata } from 'next';
import { Parts } from './Parts';

export const metadata: Metadata = { title: 'Prototypical parts' };

export default function PartsPage() {
  return (
    <>
      <h1>Prototypical parts</h1>
      <p className="lede">
        The parts of a class a checkpoint decides by: over many episodes containing the class, the support
        regions that carried each correct decision (largest w·r), clustered by their features. Each part shows
        how often it decides and its most representative patches.
      </p>
      <Parts />
    </>
  );
}

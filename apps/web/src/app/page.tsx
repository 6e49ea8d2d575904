import { Overview } from './Overview';

export default function Home() {
  return (
    <>
      <h1>Overview</h1>
      <p className="lede">
        Region Comparison Networks (Xue et al., 2020) classify a query by comparing its regions with the
        regions of a few labelled support images; every decision decomposes into per-region similarities and
        weights that you can inspect here.
      </p>
      <Overview />
    </>
  );
}

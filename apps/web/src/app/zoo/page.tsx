import type { Metadata } from 'next';
import { ZooView } from './ZooView';

export const metadata: Metadata = { title: 'Model zoo' };

export default function ZooPage() {
  return (
    <>
      <h1>Model zoo</h1>
      <p className="lede">
        Trained models that ship with RCN Studio, made by <code>pnpm campaign</code>: each with its test
        accuracy, how long it trained and on what, and its validation curve against episodes and against
        minutes. Pick one in the explorer or on the try page as <code>zoo:&lt;name&gt;</code>.
      </p>
      <ZooView />
    </>
  );
}

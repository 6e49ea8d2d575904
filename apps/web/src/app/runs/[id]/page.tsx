import type { Metadata } from 'next';
import { RunDetail } from './RunDetail';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: decodeURIComponent((await params).id) };
}

export default async function RunPage({ params }: Props) {
  const id = decodeURIComponent((await params).id);
  return <RunDetail id={id} />;
}

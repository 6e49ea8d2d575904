/** `/images/<dataset>/<split>/<imageId>.png`: dataset images, from the API. */
import { proxyStatic } from '@/lib/proxy';

export const dynamic = 'force-dynamic';
export const GET = proxyStatic;
export const HEAD = proxyStatic;

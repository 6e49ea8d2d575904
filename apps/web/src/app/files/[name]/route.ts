/** `/files/<sha256>.png`: PNGs the API rendered (RAM overlays), immutable. */
import { proxyStatic } from '@/lib/proxy';

export const dynamic = 'force-dynamic';
export const GET = proxyStatic;
export const HEAD = proxyStatic;

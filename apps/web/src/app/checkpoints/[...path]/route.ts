/** `/checkpoints/...`: checkpoint files (and the zoo's list) from the API, for the model on this device. */
import { proxyStatic } from '@/lib/proxy';

export const dynamic = 'force-dynamic';
export const GET = proxyStatic;
export const HEAD = proxyStatic;

import type { NextConfig } from 'next';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The monorepo root, so that file tracing and Turbopack see the workspace's node_modules.
  turbopack: { root: resolve(here, '..', '..') },
  outputFileTracingRoot: resolve(here, '..', '..'),
  // Images come from the API through our own proxy routes (/images, /files); they are tiny PNGs
  // served with cache headers, so next/image optimisation is not used.
  images: { unoptimized: true },
  // A name users guess: the explorer's page is /explore. Query strings (?run=, ?checkpoint=) pass through.
  redirects: async () => [{ source: '/explorer', destination: '/explore', permanent: false }],
};

export default config;

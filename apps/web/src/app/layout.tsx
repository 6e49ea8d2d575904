import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { Nav } from '@/components/Nav';
import { GraphQLProvider } from '@/lib/gql';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'RCN Studio', template: '%s · RCN Studio' },
  description: 'Train, explore and explain Region Comparison Networks for few-shot image classification.',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip" href="#main">
          Skip to content
        </a>
        <header className="topbar">
          <a href="/" className="brand" aria-label="RCN Studio, overview">
            <span aria-hidden="true" className="logo">
              ▦
            </span>{' '}
            RCN Studio
          </a>
          <Nav />
        </header>
        <GraphQLProvider>
          <main id="main" tabIndex={-1}>
            {children}
          </main>
        </GraphQLProvider>
      </body>
    </html>
  );
}

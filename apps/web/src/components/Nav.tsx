'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

const LINKS = [
  { href: '/', label: 'Overview' },
  { href: '/runs', label: 'Runs' },
  { href: '/sweeps', label: 'Sweeps' },
  { href: '/zoo', label: 'Model zoo' },
  { href: '/explore', label: 'Episode explorer' },
  { href: '/parts', label: 'Prototypical parts' },
  { href: '/try', label: 'Try your images' },
  { href: '/login', label: 'Log in' },
];

export function Nav() {
  const path = usePathname() ?? '/';
  return (
    <nav aria-label="Main">
      <ul>
        {LINKS.map((l) => {
          const active = l.href === '/' ? path === '/' : path.startsWith(l.href);
          return (
            <li key={l.href}>
              <Link href={l.href} aria-current={active ? 'page' : undefined}>
                {l.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

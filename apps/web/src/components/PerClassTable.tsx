'use client';
import { useMemo, useState } from 'react';
import { pct, shortName } from '@/lib/format';

interface ClassRow {
  id: string;
  name: string;
  correct: number;
  total: number;
  accuracy: number;
}

const PAGE = 50;

/** Per-class accuracy, searchable and paged: only one page of rows is in the DOM, whatever the class count. */
export function PerClassTable({ rows }: { rows: ClassRow[] }) {
  const [query, setQuery] = useState('');
  const [order, setOrder] = useState<'worst' | 'best' | 'name'>('worst');
  const [page, setPage] = useState(0);
  const filtered = useMemo(() => {
    const q = query.trim().toLowerCase();
    const hit = q
      ? rows.filter((r) => r.name.toLowerCase().includes(q) || r.id.toLowerCase().includes(q))
      : rows;
    const cmp =
      order === 'name'
        ? (a: ClassRow, b: ClassRow) => a.name.localeCompare(b.name)
        : order === 'best'
          ? (a: ClassRow, b: ClassRow) => b.accuracy - a.accuracy
          : (a: ClassRow, b: ClassRow) => a.accuracy - b.accuracy;
    return [...hit].sort(cmp);
  }, [rows, query, order]);
  const pages = Math.max(1, Math.ceil(filtered.length / PAGE));
  const p = Math.min(page, pages - 1);
  const shown = filtered.slice(p * PAGE, (p + 1) * PAGE);
  return (
    <div data-testid="per-class">
      <div className="row" style={{ marginBottom: 6 }}>
        <input
          type="search"
          placeholder={`Search ${rows.length} classes`}
          aria-label="Search classes"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setPage(0);
          }}
        />
        <select aria-label="Order" value={order} onChange={(e) => setOrder(e.target.value as typeof order)}>
          <option value="worst">worst first</option>
          <option value="best">best first</option>
          <option value="name">by name</option>
        </select>
      </div>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Class</th>
              <th className="num">Correct</th>
              <th style={{ width: '40%' }}>Accuracy</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((c) => (
              <tr key={c.id}>
                <td title={`${c.id}: ${c.name}`}>{shortName(c.name)}</td>
                <td className="num">
                  {c.correct}/{c.total}
                </td>
                <td>
                  <div className="row" style={{ flexWrap: 'nowrap' }}>
                    <div className="bar" style={{ flex: 1 }}>
                      <span style={{ width: `${100 * c.accuracy}%` }} />
                    </div>
                    <span className="mono small">{pct(c.accuracy, 0)}</span>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="row small" style={{ marginTop: 6 }}>
        <button type="button" disabled={p === 0} onClick={() => setPage(p - 1)}>
          ← Previous
        </button>
        <span data-testid="per-class-page">
          page {p + 1} of {pages} · {filtered.length} classes
        </span>
        <button type="button" disabled={p >= pages - 1} onClick={() => setPage(p + 1)}>
          Next →
        </button>
      </div>
    </div>
  );
}

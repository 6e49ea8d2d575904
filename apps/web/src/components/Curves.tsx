'use client';
/**
 * Training curves of one or more runs, overlaid: loss, accuracy (validation with its 95% CI band) and
 * learning rate. Train series are noisy per-episode values, smoothed by an EMA the user picks.
 */
import { useMemo, useState } from 'react';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { SERIES } from '@/lib/colormap';
import type { MetricFieldsFragment as MetricPoint } from '@/gql/graphql';
import { TimeToAccuracy, minutesOf } from './TimeToAccuracy';

export interface CurveRun {
  id: string;
  label: string;
  metrics: MetricPoint[];
}

type Row = Record<string, number | [number, number] | null> & { episode: number };

const MAX_POINTS = 600;

function ema(xs: (number | null)[], alpha: number): (number | null)[] {
  if (alpha <= 0) return xs;
  let m: number | null = null;
  let debias = 0;
  return xs.map((x) => {
    if (x == null || !Number.isFinite(x)) return m;
    debias = alpha * debias + (1 - alpha);
    m = (m == null ? 0 : m) * alpha + (1 - alpha) * x;
    return m / debias;
  });
}

/** Evenly thinned indices so that long runs stay fast to draw. */
function thin<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const step = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]);
  out.push(xs[xs.length - 1]);
  return out;
}

function buildRows(runs: CurveRun[], smoothing: number): Row[] {
  const rows = new Map<number, Row>();
  const row = (episode: number) => {
    let r = rows.get(episode);
    if (!r) rows.set(episode, (r = { episode } as Row));
    return r;
  };
  runs.forEach((run, i) => {
    const train = run.metrics.filter((m) => m.type === 'train').sort((a, b) => a.episode - b.episode);
    const loss = ema(
      train.map((m) => m.loss),
      smoothing,
    );
    const acc = ema(
      train.map((m) => m.accuracy),
      smoothing,
    );
    const idx = thin(
      train.map((_m, j) => j),
      MAX_POINTS,
    );
    for (const j of idx) {
      const r = row(train[j].episode);
      r[`tl${i}`] = loss[j];
      r[`ta${i}`] = acc[j];
      r[`lr${i}`] = train[j].lr;
    }
    for (const m of run.metrics.filter((x) => x.type === 'val')) {
      const r = row(m.episode);
      r[`vl${i}`] = m.loss;
      r[`va${i}`] = m.accuracy;
      if (m.ci95 != null) r[`vb${i}`] = [Math.max(0, m.accuracy - m.ci95), Math.min(1, m.accuracy + m.ci95)];
      if (r[`lr${i}`] == null) r[`lr${i}`] = m.lr;
    }
  });
  return [...rows.values()].sort((a, b) => a.episode - b.episode);
}

const pctTick = (v: number) => `${Math.round(v * 100)}%`;
const fmt = (v: unknown) => {
  if (Array.isArray(v))
    return `${(100 * (v[0] as number)).toFixed(1)}–${(100 * (v[1] as number)).toFixed(1)}%`;
  return typeof v === 'number' ? Number(v.toPrecision(4)).toString() : String(v);
};

function ChartFrame({
  title,
  children,
  testId,
}: {
  title: string;
  children: React.ReactElement;
  testId: string;
}) {
  return (
    <figure className="panel" style={{ margin: 0 }} data-testid={testId}>
      <figcaption>
        <h3>{title}</h3>
      </figcaption>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

export function Curves({ runs }: { runs: CurveRun[] }) {
  const [smoothing, setSmoothing] = useState(0.6);
  const rows = useMemo(() => buildRows(runs, smoothing), [runs, smoothing]);
  const many = runs.length > 1;
  // Train points are logged every N episodes: show them as dots while there are few.
  const trainDot = (i: number) =>
    runs[i].metrics.filter((m) => m.type === 'train').length < 3 ? { r: 2 } : false;
  const lrs = runs.flatMap((r) => r.metrics.map((m) => m.lr)).filter((x) => x > 0 && Number.isFinite(x));
  const lrDomain: [number, number] = lrs.length
    ? [Math.min(...lrs) / 1.6, Math.max(...lrs) * 1.6]
    : [1e-4, 1e-2];
  const name = (i: number, what: string) => (many ? `${runs[i].label} · ${what}` : what);
  // Per run: the training series dashed and thin, the validation series solid; for accuracy and loss alike.
  const trainValLines = (train: string, val: string) => [
    ...runs.map((_r, i) => (
      <Line
        key={`t${i}`}
        dataKey={`${train}${i}`}
        name={name(i, 'train')}
        stroke={SERIES[i % SERIES.length]}
        strokeOpacity={0.55}
        strokeWidth={1.2}
        dot={trainDot(i)}
        isAnimationActive={false}
        connectNulls
        strokeDasharray="4 2"
      />
    )),
    ...runs.map((_r, i) => (
      <Line
        key={`v${i}`}
        dataKey={`${val}${i}`}
        name={name(i, 'validation')}
        stroke={SERIES[i % SERIES.length]}
        strokeWidth={2.2}
        dot={{ r: 2.5 }}
        isAnimationActive={false}
        connectNulls
      />
    )),
  ];
  const hasData = runs.some((r) => r.metrics.length > 0);
  if (!hasData)
    return (
      <p className="empty">No metrics yet: the first points appear after the first training episodes.</p>
    );
  const common = {
    data: rows,
    margin: { top: 4, right: 12, bottom: 4, left: 0 },
  };
  const xAxis = (
    <XAxis
      dataKey="episode"
      type="number"
      domain={['dataMin', 'dataMax']}
      tick={{ fontSize: 12 }}
      label={{ value: 'episode', position: 'insideBottomRight', offset: -2, fontSize: 12 }}
      height={34}
    />
  );
  const tooltip = (
    <Tooltip formatter={fmt} labelFormatter={(l) => `episode ${l}`} contentStyle={{ fontSize: 12 }} />
  );
  const legend = <Legend wrapperStyle={{ fontSize: 12 }} />;
  return (
    <div>
      <div className="row" style={{ marginBottom: 8 }}>
        <label className="check">
          Smoothing of train curves
          <input
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            onChange={(e) => setSmoothing(Number(e.target.value))}
            aria-valuetext={smoothing.toFixed(2)}
          />
          <span className="mono">{smoothing.toFixed(2)}</span>
        </label>
        <span className="muted small">
          Validation points are means over validation episodes; the band is their 95% CI.
        </span>
      </div>
      <div className="grid cols-3">
        <ChartFrame title="Accuracy (train, validation ± 95% CI)" testId="chart-accuracy">
          <ComposedChart {...common}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
            {xAxis}
            <YAxis domain={[0, 1]} tickFormatter={pctTick} tick={{ fontSize: 12 }} width={44} />
            {tooltip}
            {legend}
            {runs.map((_r, i) => (
              <Area
                key={`b${i}`}
                dataKey={`vb${i}`}
                name={name(i, 'val 95% CI')}
                stroke="none"
                fill={SERIES[i % SERIES.length]}
                fillOpacity={0.18}
                isAnimationActive={false}
                connectNulls
                legendType="none"
              />
            ))}
            {trainValLines('ta', 'va')}
          </ComposedChart>
        </ChartFrame>
        <ChartFrame title="Loss" testId="chart-loss">
          <ComposedChart {...common}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
            {xAxis}
            <YAxis
              tick={{ fontSize: 12 }}
              width={48}
              domain={['auto', 'auto']}
              tickFormatter={(v: number) => Number(v.toPrecision(3)).toString()}
            />
            {tooltip}
            {legend}
            {trainValLines('tl', 'vl')}
          </ComposedChart>
        </ChartFrame>
        <ChartFrame title="Learning rate" testId="chart-lr">
          <ComposedChart {...common}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
            {xAxis}
            <YAxis
              scale="log"
              domain={lrDomain}
              allowDataOverflow
              tick={{ fontSize: 12 }}
              width={56}
              tickFormatter={(v: number) => v.toExponential(0)}
            />
            {tooltip}
            {legend}
            {runs.map((_r, i) => (
              <Line
                key={`lr${i}`}
                type="stepAfter"
                dataKey={`lr${i}`}
                name={name(i, 'lr')}
                stroke={SERIES[i % SERIES.length]}
                strokeWidth={2}
                dot={false}
                isAnimationActive={false}
                connectNulls
              />
            ))}
          </ComposedChart>
        </ChartFrame>
      </div>
      <figure className="panel" style={{ margin: '12px 0 0' }}>
        <figcaption>
          <h3>Validation accuracy against minutes of training</h3>
        </figcaption>
        <TimeToAccuracy series={runs.map((r) => ({ label: r.label, points: minutesOf(r.metrics) }))} />
      </figure>
    </div>
  );
}

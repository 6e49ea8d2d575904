'use client';
/**
 * Validation accuracy against minutes of training (time to accuracy): the same points as the accuracy curve,
 * placed by the wall-clock time a run had trained when each was measured, summed over its working periods.
 */
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { SERIES } from '@/lib/colormap';

export interface TimedSeries {
  label: string;
  /** At each validation: minutes of training (or training episodes, see `axis`), and the accuracy. */
  points: { x: number; accuracy: number }[];
}

/** Validation points of a run's metrics as minutes: elapsedSeconds where recorded, else time since the first event. */
export function minutesOf(
  metrics: readonly { type: string; accuracy: number; elapsedSeconds?: number | null; time?: string }[],
): { x: number; accuracy: number }[] {
  const first = metrics.find((m) => m.time)?.time;
  const t0 = first ? Date.parse(first) : NaN;
  return metrics
    .filter((m) => m.type === 'val')
    .map((m) => ({
      x: m.elapsedSeconds != null ? m.elapsedSeconds / 60 : (Date.parse(m.time ?? '') - t0) / 60_000,
      accuracy: m.accuracy,
    }))
    .filter((p) => Number.isFinite(p.x));
}

export function TimeToAccuracy({
  series,
  height = 240,
  axis = 'minutes',
}: {
  series: TimedSeries[];
  height?: number;
  /** What the points' `x` is: minutes of training, or training episodes. */
  axis?: 'minutes' | 'episodes';
}) {
  const many = series.length > 1;
  if (!series.some((s) => s.points.length))
    return <p className="empty">No validation yet: time to accuracy appears after the first validation.</p>;
  return (
    <div
      style={{ width: '100%', height }}
      data-testid={axis === 'minutes' ? 'chart-time-to-accuracy' : 'chart-episodes-to-accuracy'}
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart margin={{ top: 4, right: 12, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
          <XAxis
            dataKey="x"
            type="number"
            domain={[0, 'dataMax']}
            tick={{ fontSize: 12 }}
            tickFormatter={(v: number) => Number(v.toPrecision(3)).toString()}
            label={{
              value: axis === 'minutes' ? 'minutes of training' : 'training episodes',
              position: 'insideBottomRight',
              offset: -2,
              fontSize: 12,
            }}
            height={34}
            allowDuplicatedCategory={false}
          />
          <YAxis
            domain={['auto', 'auto']}
            tickFormatter={(v: number) => `${(100 * v).toFixed(0)}%`}
            tick={{ fontSize: 12 }}
            width={44}
          />
          <Tooltip
            formatter={(v) => `${(100 * Number(v)).toFixed(2)}%`}
            labelFormatter={(l) =>
              axis === 'minutes' ? `${Number(l).toFixed(1)} min` : `episode ${Number(l)}`
            }
            contentStyle={{ fontSize: 12 }}
          />
          {many ? <Legend wrapperStyle={{ fontSize: 12 }} /> : null}
          {series.map((s, i) => (
            <Line
              key={s.label}
              data={s.points}
              dataKey="accuracy"
              name={many ? s.label : 'validation accuracy'}
              stroke={SERIES[i % SERIES.length]}
              strokeWidth={2}
              dot={{ r: 2.5 }}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

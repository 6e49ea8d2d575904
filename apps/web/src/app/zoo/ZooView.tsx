'use client';
import { ErrorBox, Skeleton } from '@/components/common';
import { TimeToAccuracy } from '@/components/TimeToAccuracy';
import { pctCi } from '@/lib/format';
import { useGql } from '@/lib/gql';
import { ZOO } from '@/lib/queries';

const minutes = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${Math.round(s / 60)} min`);

export function ZooView() {
  const q = useGql(ZOO, {});
  if (q.error) return <ErrorBox error={q.error} title="Model zoo" />;
  if (q.waiting) return <Skeleton height={120} label="Loading the zoo" />;
  const models = q.data?.zoo ?? [];
  if (!models.length) return <p>No zoo models here: `pnpm campaign` trains and publishes them into zoo/.</p>;
  return (
    <>
      {models.map((m) => (
        <section className="panel" key={m.name} aria-labelledby={`zoo-${m.name}`} data-testid="zoo-model">
          <h2 id={`zoo-${m.name}`}>{m.name}</h2>
          <p>{m.title}</p>
          <table>
            <thead>
              <tr>
                <th>test episodes</th>
                <th>split</th>
                <th>accuracy (± 95% CI)</th>
              </tr>
            </thead>
            <tbody>
              {m.test.map((t) => (
                <tr key={`${t.way}-${t.shot}-${t.withinGroup}`}>
                  <td>
                    {t.way}-way {t.shot}-shot{t.withinGroup ? ', one alphabet' : ''} ({t.episodes} episodes)
                  </td>
                  <td className="mono">{t.split}</td>
                  <td>{pctCi(t.accuracy, t.ci95)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="small">
            Trained {m.way}-way {m.shot}-shot for {m.episodes.toLocaleString('en-US')} episodes in{' '}
            {minutes(m.wallSeconds)} on {m.machine}. Command: <code>{m.command}</code>
          </p>
          <div className="grid cols-2">
            <TimeToAccuracy
              height={200}
              axis="episodes"
              series={[
                {
                  label: m.name,
                  points: m.validation.map((v) => ({ x: v.episode, accuracy: v.accuracy })),
                },
              ]}
            />
            <TimeToAccuracy
              height={200}
              series={[
                {
                  label: m.name,
                  points: m.validation.map((v) => ({ x: v.seconds / 60, accuracy: v.accuracy })),
                },
              ]}
            />
          </div>
        </section>
      ))}
    </>
  );
}

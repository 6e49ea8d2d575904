/** A zoo card for people: `README.md` with the numbers and the command, `curve.svg` with the validation curve. */
import type { ZooCard } from './card.js';

export const ZOO_README_FILE = 'README.md';
export const ZOO_CURVE_FILE = 'curve.svg';

const pct = (v: number) => (100 * v).toFixed(2);
const hours = (s: number) =>
  s >= 3600 ? `${(s / 3600).toFixed(2)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`;

function evaluationLabel(t: ZooCard['test'][number]): string {
  return `${t.way}-way ${t.shot}-shot${t.withinGroup ? ', within one alphabet' : ''}`;
}

export function renderZooCardMarkdown(card: ZooCard): string {
  const t = card.training;
  const best = card.validation.find((v) => v.episode === t.bestEpisode);
  const stop =
    t.stopReason === 'early-stop'
      ? `stopped by the plateau rule: no new best in ${t.earlyStop} validations after episode ${t.bestEpisode}`
      : `ran its whole budget`;
  return [
    `# ${card.name}`,
    '',
    `${card.title}. ${card.licence}`,
    '',
    '| test (split `' + card.splits.test + '`) | accuracy (%) | episodes | queries per class |',
    '| --- | --- | --- | --- |',
    ...card.test.map(
      (e) => `| ${evaluationLabel(e)} | ${pct(e.accuracy)} ± ${pct(e.ci95)} | ${e.episodes} | ${e.query} |`,
    ),
    '',
    `- **Model**: ${card.method} ${card.backbone}, ${card.imageSize}x${card.imageSize} inputs; BatchNorm with batch statistics at test (the reference's).`,
    `- **Data**: ${card.dataset}, trained on split \`${card.splits.train}\`, selected on \`${card.splits.val}\`, tested once on \`${card.splits.test}\`.`,
    `- **Protocol**: ${t.way}-way ${t.shot}-shot episodes, ${t.query} queries per class${t.augment ? ', reference augmentation' : ''}; Adam lr ${t.lr}, halved (x${t.lrFactor}) after ${t.lrPatience + 1} validations without improvement; validation every ${t.valEvery} episodes on ${t.valEpisodes} fixed episodes of ${t.valQuery} queries per class; seed ${t.seed}.`,
    `- **Budget**: ${t.episodes.toLocaleString('en-US')} of at most ${t.plannedEpisodes.toLocaleString('en-US')} episodes (${stop}); best validation ${best ? `${pct(best.accuracy)} ± ${pct(best.ci95)} %` : '-'} at episode ${t.bestEpisode.toLocaleString('en-US')}; ${hours(t.wallSeconds)} of training.`,
    `- **Machine**: ${card.machine}; backend ${card.backend}.`,
    `- **Command**: \`${card.command}\``,
    `- **Check**: ${card.check.episodes} fixed ${card.check.way}-way ${card.check.shot}-shot episodes of split \`${card.check.split}\` (seed ${card.check.seed}, ${card.check.query} queries per class) that the zoo test reproduces: ${card.check.correct.reduce((a, b) => a + b, 0)} of ${card.check.episodes * card.check.way * card.check.query} queries correct.`,
    '',
    `![validation accuracy against episodes and against minutes](${ZOO_CURVE_FILE})`,
    '',
    '| episode | minutes | validation accuracy (%) | learning rate |',
    '| --- | --- | --- | --- |',
    ...card.validation.map(
      (v) =>
        `| ${v.episode} | ${(v.seconds / 60).toFixed(1)} | ${pct(v.accuracy)} ± ${pct(v.ci95)} | ${v.lr} |`,
    ),
    '',
    `Opens by name wherever a checkpoint is taken: \`pnpm cli eval --checkpoint ${card.name}\`, \`pnpm cli predict --checkpoint ${card.name} ...\`, the API's \`checkpoint: "zoo:${card.name}"\`.`,
    '',
  ].join('\n');
}

/** Two panels, validation accuracy against episodes and against minutes, in plain SVG (no dependency). */
export function renderZooCurveSvg(card: ZooCard): string {
  const W = 360;
  const H = 220;
  const pad = { l: 46, r: 12, t: 24, b: 36 };
  const v = card.validation;
  const accs = v.map((p) => p.accuracy);
  const lo = Math.max(0, Math.floor((Math.min(...accs, 1) * 100) / 5) * 5);
  const hi = Math.min(100, Math.ceil((Math.max(...accs, 0) * 100) / 5) * 5 || 100);
  const panel = (x0: number, title: string, xs: number[], unit: string) => {
    const xmax = Math.max(...xs, 1);
    const sx = (x: number) => x0 + pad.l + ((W - pad.l - pad.r) * x) / xmax;
    const sy = (a: number) => pad.t + ((H - pad.t - pad.b) * (hi - 100 * a)) / Math.max(hi - lo, 1);
    const path = xs.map((x, i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(accs[i]).toFixed(1)}`).join(' ');
    const best = v.findIndex((p) => p.episode === card.training.bestEpisode);
    const yTicks = [lo, (lo + hi) / 2, hi];
    return [
      `<text x="${x0 + W / 2}" y="14" text-anchor="middle" font-size="12">${title}</text>`,
      `<rect x="${x0 + pad.l}" y="${pad.t}" width="${W - pad.l - pad.r}" height="${H - pad.t - pad.b}" fill="none" stroke="#999"/>`,
      ...yTicks.map(
        (y) =>
          `<text x="${x0 + pad.l - 4}" y="${(sy(y / 100) + 4).toFixed(1)}" text-anchor="end" font-size="10">${y}%</text>`,
      ),
      `<text x="${x0 + pad.l}" y="${H - 20}" font-size="10">0</text>`,
      `<text x="${x0 + W - pad.r}" y="${H - 20}" text-anchor="end" font-size="10">${Math.round(xmax).toLocaleString('en-US')}</text>`,
      `<text x="${x0 + W / 2}" y="${H - 6}" text-anchor="middle" font-size="11">${unit}</text>`,
      `<path d="${path}" fill="none" stroke="#3b528b" stroke-width="1.5"/>`,
      best >= 0
        ? `<circle cx="${sx(xs[best]).toFixed(1)}" cy="${sy(accs[best]).toFixed(1)}" r="3" fill="#21918c"/>`
        : '',
    ].join('\n');
  };
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H}" viewBox="0 0 ${2 * W} ${H}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel(
      0,
      `${card.name}: validation accuracy`,
      v.map((p) => p.episode),
      'training episodes',
    ),
    panel(
      W,
      'against wall-clock',
      v.map((p) => p.seconds / 60),
      'minutes of training',
    ),
    '</svg>',
    '',
  ].join('\n');
}

/** Viridis (perceptually uniform, colour-blind safe): 9 stops of the matplotlib map, linearly interpolated. */
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 73, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [253, 231, 37],
];

export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + f * (b[c] - a[c]))) as [number, number, number];
}

export function viridisCss(t: number, alpha = 1): string {
  const [r, g, b] = viridis(t);
  return alpha >= 1 ? `rgb(${r} ${g} ${b})` : `rgb(${r} ${g} ${b} / ${alpha})`;
}

/** Text colour that stays readable on top of viridis(t). */
export function inkOn(t: number): string {
  return t > 0.55 ? '#111' : '#fff';
}

export const VIRIDIS_GRADIENT = `linear-gradient(to right, ${VIRIDIS.map((c, i) => `rgb(${c.join(' ')}) ${(100 * i) / (VIRIDIS.length - 1)}%`).join(', ')})`;

/** Okabe-Ito: categorical colours distinguishable with colour-vision deficiencies (for run overlays). */
export const SERIES = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#D55E00',
  '#56B4E9',
  '#000000',
  '#F0E442',
];

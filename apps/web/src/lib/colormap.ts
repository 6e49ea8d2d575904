// Core's viridis table, the one the explanation PNGs are drawn with; this subpath has no TensorFlow.js in it.
import { viridis } from '@rcn/core/colormap';

export function viridisCss(t: number, alpha = 1): string {
  const [r, g, b] = viridis(t);
  return alpha >= 1 ? `rgb(${r} ${g} ${b})` : `rgb(${r} ${g} ${b} / ${alpha})`;
}

/** Text colour that stays readable on top of viridis(t). */
export function inkOn(t: number): string {
  return t > 0.55 ? '#111' : '#fff';
}

/** CSS gradient of viridis over [0, 1], 17 stops. */
export const VIRIDIS_GRADIENT = `linear-gradient(to right, ${Array.from({ length: 17 }, (_, i) => `rgb(${viridis(i / 16).join(' ')}) ${(100 * i) / 16}%`).join(', ')})`;

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

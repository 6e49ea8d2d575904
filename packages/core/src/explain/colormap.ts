/**
 * Viridis (perceptually uniform, readable in greyscale and by colour-blind viewers). Anchors are every 8th
 * entry of matplotlib's 256-entry table (CC0, van der Walt and Smith) plus the last; linear interpolation
 * between them stays within one 8-bit level of the full table.
 *
 * The dashboard imports this file as `@rcn/core/colormap` (package.json `exports`): keep it free of imports.
 */
// prettier-ignore
const VIRIDIS_ANCHORS: readonly (readonly [number, number, number])[] = [
  [0.267004, 0.004874, 0.329415], [0.277018, 0.050344, 0.375715], [0.282327, 0.094955, 0.417331],
  [0.282884, 0.13592, 0.453427], [0.278826, 0.17549, 0.483397], [0.270595, 0.214069, 0.507052],
  [0.258965, 0.251537, 0.524736], [0.244972, 0.287675, 0.53726], [0.229739, 0.322361, 0.545706],
  [0.214298, 0.355619, 0.551184], [0.19943, 0.387607, 0.554642], [0.185556, 0.41857, 0.556753],
  [0.172719, 0.448791, 0.557885], [0.160665, 0.47854, 0.558115], [0.149039, 0.508051, 0.55725],
  [0.13777, 0.537492, 0.554906], [0.127568, 0.566949, 0.550556], [0.120565, 0.596422, 0.543611],
  [0.120638, 0.625828, 0.533488], [0.132268, 0.655014, 0.519661], [0.157851, 0.683765, 0.501686],
  [0.196571, 0.711827, 0.479221], [0.24607, 0.73891, 0.452024], [0.304148, 0.764704, 0.419943],
  [0.369214, 0.788888, 0.382914], [0.440137, 0.811138, 0.340967], [0.515992, 0.831158, 0.294279],
  [0.595839, 0.848717, 0.243329], [0.678489, 0.863742, 0.189503], [0.762373, 0.876424, 0.137064],
  [0.845561, 0.887322, 0.099702], [0.926106, 0.89733, 0.104071], [0.993248, 0.906157, 0.143936],
];
/** Table positions (0..255) of the anchors. */
const ANCHOR_AT = VIRIDIS_ANCHORS.map((_a, i) => Math.min(255, 8 * i));

/** 256-entry RGB lookup table, built once. */
const LUT: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  let a = 0;
  for (let i = 0; i < 256; i++) {
    while (ANCHOR_AT[a + 1] < i) a++;
    const f = (i - ANCHOR_AT[a]) / (ANCHOR_AT[a + 1] - ANCHOR_AT[a]);
    for (let c = 0; c < 3; c++) {
      const v = VIRIDIS_ANCHORS[a][c] * (1 - f) + VIRIDIS_ANCHORS[a + 1][c] * f;
      lut[3 * i + c] = Math.round(255 * v);
    }
  }
  return lut;
})();

/** Viridis colour of t in [0, 1] (clamped), 8-bit RGB. */
export function viridis(t: number): [number, number, number] {
  const i = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)));
  return [LUT[3 * i], LUT[3 * i + 1], LUT[3 * i + 2]];
}

/** `#rrggbb` of viridis(t). */
export function viridisHex(t: number): string {
  return `#${viridis(t)
    .map((v) => v.toString(16).padStart(2, '0'))
    .join('')}`;
}

/** Value range mapped onto the colour map. */
export interface ColorRange {
  min: number;
  max: number;
}

/** Range of the values (max > min guaranteed, so constant maps render as the low colour). */
export function rangeOf(values: ArrayLike<number>, floorAtZero = true): ColorRange {
  let min = floorAtZero ? 0 : Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  if (!Number.isFinite(min)) min = 0;
  if (!(max > min)) max = min + 1e-6;
  return { min, max };
}

/** Colours a map (row-major, h x w) into RGB bytes. */
export function colorize(values: ArrayLike<number>, range: ColorRange): Uint8Array {
  const out = new Uint8Array(values.length * 3);
  const span = range.max - range.min;
  for (let i = 0; i < values.length; i++) out.set(viridis((values[i] - range.min) / span), 3 * i);
  return out;
}

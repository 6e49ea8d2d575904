import { jsonObject } from './json';

export const pct = (x: number | null | undefined, digits = 1) =>
  x == null || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(digits)}%`;

/** Mean ± 95% CI in percent, e.g. "48.2 ± 0.8%". */
export const pctCi = (x: number | null | undefined, ci: number | null | undefined) =>
  x == null ? '–' : ci == null ? pct(x) : `${(100 * x).toFixed(1)} ± ${(100 * ci).toFixed(1)}%`;

export const num = (x: number | null | undefined, digits = 3) =>
  x == null || !Number.isFinite(x) ? '–' : Number(x.toPrecision(digits)).toString();

export function ago(iso: string | null | undefined): string {
  if (!iso) return '–';
  const s = (Date.now() - new Date(iso).getTime()) / 1000;
  if (!Number.isFinite(s)) return iso;
  if (s < 60) return `${Math.max(0, Math.round(s))} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toISOString().slice(0, 10);
}

export function duration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** Omniglot's readable names: "Greek, character03" or "Greek, character03, rotated 90°". */
const OMNIGLOT_NAME = /^(.+), character(\d+)(?:, rotated (\d+)°)?$/;

/**
 * A short class name: for Omniglot the alphabet, character number and rotation ("Greek #03 ↻90°"; the
 * alphabet alone would name every character of it alike), else the first synonym of an ImageNet-style
 * name ("hog, pig, grunter" -> "hog").
 */
export const shortName = (name: string) => {
  const m = OMNIGLOT_NAME.exec(name);
  if (m) return `${m[1]} #${m[2]}${m[3] ? ` ↻${m[3]}°` : ''}`;
  return name.split(',')[0].trim();
};

/** A run's `config` (JSON) in a few words. */
export function configSummary(config: unknown): string {
  const c = jsonObject(config);
  const model = jsonObject(c.model);
  return `${String(model.backbone ?? 'conv4')} · ${c.way}-way ${c.shot}-shot`;
}

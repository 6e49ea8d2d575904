/**
 * Model configuration: everything needed to rebuild an RCN with the same parameters (stored in checkpoints).
 */

export type BackboneKind = 'conv4' | 'resnet12';

/**
 * How the backbone's feature map becomes regions: `G` (a number) adaptive-average-pools it to G x G with
 * PyTorch's overlapping bins; `'none'` keeps every feature-map cell as a region; `'global'` is the
 * one-region ablation (global average pool).
 */
export type RegionGrid = number | 'none' | 'global';

/** `network`: the paper's region-weight network; `linear`: ablation, one learned weight per region position. */
export type RegionWeighting = 'network' | 'linear';

/**
 * Which statistics BatchNorm normalises with when not training. `batch` is what the authors' code does
 * (every forward pass in training mode, so the support set and the query set are each normalised with their
 * own statistics); `running` uses the running mean / variance accumulated during training (PyTorch eval mode).
 */
export type BnInference = 'batch' | 'running';

export interface DropBlockConfig {
  /** Probability that a unit is dropped (0 disables). */
  rate: number;
  /** Side of the dropped square blocks. */
  blockSize: number;
}

export interface ModelConfig {
  backbone: BackboneKind;
  /** Channel widths of the four backbone stages (Conv4: 64 each; ResNet-12: 64-160-320-640). */
  widths: [number, number, number, number];
  /** Side of the square input images. */
  imageSize: number;
  regionGrid: RegionGrid;
  regionWeighting: RegionWeighting;
  bnInference: BnInference;
  /** PyTorch-convention BatchNorm momentum: running = (1 - m) * running + m * batch. */
  bnMomentum: number;
  bnEps: number;
  /** Negative slope of ResNet-12's LeakyReLU. */
  leakySlope: number;
  /** ResNet-12 only: DropBlock after the last two residual stages in training; null disables. */
  dropBlock: DropBlockConfig | null;
  /** Seed of the parameter initialisation. */
  seed: number;
}

export type ModelConfigInput = Partial<ModelConfig> & { backbone: BackboneKind };

/** Fills the per-backbone defaults (the reference implementation's). */
export function resolveModelConfig(input: ModelConfigInput): ModelConfig {
  const conv4 = input.backbone === 'conv4';
  const cfg: ModelConfig = {
    backbone: input.backbone,
    widths: input.widths ?? (conv4 ? [64, 64, 64, 64] : [64, 160, 320, 640]),
    imageSize: input.imageSize ?? 84,
    regionGrid: input.regionGrid ?? (conv4 ? 5 : 'none'),
    regionWeighting: input.regionWeighting ?? 'network',
    bnInference: input.bnInference ?? 'batch',
    // The authors' Conv4 (from Relation Network) uses momentum 1; ResNet-12 PyTorch's default 0.1.
    bnMomentum: input.bnMomentum ?? (conv4 ? 1 : 0.1),
    bnEps: input.bnEps ?? 1e-5,
    leakySlope: input.leakySlope ?? 0.1,
    dropBlock: input.dropBlock ?? null,
    seed: input.seed ?? 0,
  };
  validateModelConfig(cfg);
  return cfg;
}

export function validateModelConfig(cfg: ModelConfig): void {
  if (cfg.backbone !== 'conv4' && cfg.backbone !== 'resnet12')
    throw new Error(`model: unknown backbone '${String(cfg.backbone)}'`);
  if (cfg.widths.length !== 4 || cfg.widths.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new Error(`model: widths must be four positive integers, got [${cfg.widths.join(', ')}]`);
  }
  if (!Number.isInteger(cfg.imageSize) || cfg.imageSize < 1)
    throw new Error(`model: bad imageSize ${cfg.imageSize}`);
  const [fh] = featureMapSize(cfg);
  if (fh < 1) throw new Error(`model: imageSize ${cfg.imageSize} is too small for ${cfg.backbone}`);
  if (typeof cfg.regionGrid === 'number' && (!Number.isInteger(cfg.regionGrid) || cfg.regionGrid < 1)) {
    throw new Error(
      `model: regionGrid must be a positive integer, 'none' or 'global', got ${cfg.regionGrid}`,
    );
  }
  if (cfg.dropBlock && cfg.backbone !== 'resnet12')
    throw new Error('model: dropBlock applies to resnet12 only');
  if (cfg.dropBlock && (cfg.dropBlock.rate < 0 || cfg.dropBlock.rate >= 1 || cfg.dropBlock.blockSize < 1)) {
    throw new Error('model: dropBlock needs 0 <= rate < 1 and blockSize >= 1');
  }
}

/** Height and width of the backbone's output for the configured image size. */
export function featureMapSize(cfg: Pick<ModelConfig, 'backbone' | 'imageSize'>): [number, number] {
  let s = cfg.imageSize;
  if (cfg.backbone === 'conv4') {
    // 3x3 valid conv then 2x2 pool, twice; the last two convs keep the size.
    s = Math.floor((s - 2) / 2);
    s = Math.floor((s - 2) / 2);
  } else {
    for (let i = 0; i < 4; i++) s = Math.floor(s / 2);
  }
  return [s, s];
}

/** Number of regions R compared per image. */
export function regionCount(cfg: Pick<ModelConfig, 'backbone' | 'imageSize' | 'regionGrid'>): number {
  if (cfg.regionGrid === 'global') return 1;
  if (cfg.regionGrid === 'none') {
    const [h, w] = featureMapSize(cfg);
    return h * w;
  }
  return cfg.regionGrid * cfg.regionGrid;
}

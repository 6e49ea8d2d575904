/**
 * ReduceLROnPlateau with PyTorch's semantics (mode max, relative threshold 1e-4, no cooldown): after more
 * than `patience` validations without improvement, the learning rate is multiplied by `factor`.
 */
export interface PlateauState {
  best: number | null;
  numBad: number;
  lr: number;
}

export class ReduceLROnPlateau {
  state: PlateauState;

  constructor(
    lr: number,
    readonly factor = 0.5,
    readonly patience = 2,
    readonly threshold = 1e-4,
    readonly minLr = 0,
  ) {
    this.state = { best: null, numBad: 0, lr };
  }

  /** Reports a validation metric; returns the learning rate to use from now on. */
  step(metric: number): number {
    const s = this.state;
    if (s.best === null || metric > s.best * (1 + this.threshold)) {
      s.best = metric;
      s.numBad = 0;
    } else {
      s.numBad += 1;
    }
    if (s.numBad > this.patience) {
      s.lr = Math.max(this.minLr, s.lr * this.factor);
      s.numBad = 0;
    }
    return s.lr;
  }
}

/** What every resolver receives: the server's services and who asked. */
import type { BackendInfo } from '@rcn/core';
import type { ApiConfig } from '../config.js';
import type { DatasetService } from '../services/datasets.js';
import type { InferenceService } from '../services/inference.js';
import type { PartsService } from '../services/parts.js';
import type { PngStore } from '../services/png.js';
import type { JobManager } from '../jobs/manager.js';
import type { Store } from '../store/types.js';

export interface Services {
  config: ApiConfig;
  store: Store;
  datasets: DatasetService;
  inference: InferenceService;
  jobs: JobManager;
  pngs: PngStore;
  parts: PartsService;
  backend: () => Promise<BackendInfo>;
  /** Text for clients: configured folders made relative (responses never reveal server paths). */
  publicText: (text: string) => string;
}

export interface Context {
  services: Services;
  /** The request carried the configured bearer token. */
  authorized: boolean;
  /** Who asked (the remote address): the key of the per-client work budget. */
  client: string;
}

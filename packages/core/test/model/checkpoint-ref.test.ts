/** Checkpoint references as clients write them: parsed and written in one place. */
import { describe, expect, it } from 'vitest';
import {
  CheckpointRefError,
  formatCheckpointRef,
  parseCheckpointRef,
} from '../../src/model/checkpoints/checkpoint-ref.js';

const reason = (ref: string) => {
  try {
    parseCheckpointRef(ref);
    return null;
  } catch (e) {
    return e instanceof CheckpointRefError ? e.reason : 'other';
  }
};

describe('checkpoint references', () => {
  it('reads a run checkpoint (a bare run id is its best) and a zoo model', () => {
    expect(parseCheckpointRef('r1/latest')).toEqual({ kind: 'run', runId: 'r1', name: 'latest' });
    expect(parseCheckpointRef('r1')).toEqual({ kind: 'run', runId: 'r1', name: 'best' });
    expect(parseCheckpointRef('zoo:omniglot-rcn')).toEqual({ kind: 'zoo', name: 'omniglot-rcn' });
  });

  it('refuses paths as paths and unknown checkpoint names as names', () => {
    for (const ref of [
      '../r/best',
      'r/best/../latest',
      '/etc/passwd',
      '..',
      'r/..',
      '.hidden/best',
      'zoo:../x',
      'a\\b',
    ])
      expect(reason(ref), ref).toBe('path');
    expect(reason('r1/weights')).toBe('name');
  });

  it('writes a located checkpoint as clients name it', () => {
    expect(formatCheckpointRef({ dir: '/runs/r1/checkpoints/best', runDir: '/runs/r1', name: 'best' })).toBe(
      'r1/best',
    );
    expect(formatCheckpointRef({ dir: '/zoo/m', runDir: null, name: 'm', zoo: 'm' })).toBe('zoo:m');
    expect(formatCheckpointRef({ dir: '/elsewhere/ck', runDir: null, name: 'ck' })).toBe('/elsewhere/ck');
  });
});

/**
 * The terms of the datasets a demo may show images of, from the data folder's own notes: what to credit,
 * the licence file to ship, and whether the images may be used commercially. A dataset not listed has no
 * known terms: its images go into a demo only with terms the user states.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface DatasetTerms {
  credit: string;
  /** A licence file to copy beside the examples, where the dataset ships one. */
  licenceFile: string | null;
  /** False: the images may be shown for non-commercial research and education only. */
  commercial: boolean;
}

/** Known terms of `dataset` (its registry name) whose folder is `root`, or null. */
export function knownDatasetTerms(dataset: string, root: string): DatasetTerms | null {
  if (/^omniglot/i.test(dataset)) {
    const licence = join(root, 'LICENSE.txt');
    return {
      credit:
        'Omniglot, by Brenden M. Lake, Ruslan Salakhutdinov and Joshua B. Tenenbaum (Science, 2015), MIT licence, copyright (c) 2015 Brenden Lake',
      licenceFile: existsSync(licence) ? licence : null,
      commercial: true,
    };
  }
  if (/imagenet/i.test(dataset))
    return {
      credit:
        'ImageNet images (Tiny ImageNet / mini-ImageNet layout), under the ImageNet terms of access: non-commercial research and education only',
      licenceFile: null,
      commercial: false,
    };
  return null;
}

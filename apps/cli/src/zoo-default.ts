/** The checkpoint a command uses when none is named: the zoo's model for the data at hand. */
import { ZOO_PREFIX, zooModelFor } from '@rcn/core';
import { UsageError } from './exit-codes.js';

export async function checkpointOrZoo(
  given: string | undefined,
  q: { dataset?: string; imageFile?: string },
): Promise<string> {
  if (given) return given;
  try {
    const m = await zooModelFor(q);
    console.error(
      `checkpoint: ${ZOO_PREFIX}${m.name} from the model zoo (${m.card.title}); --checkpoint <run> uses your own`,
    );
    return `${ZOO_PREFIX}${m.name}`;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

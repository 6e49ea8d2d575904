/** Tasks for pool-codes.test.ts: a coded error, and a worker that dies mid-task. */
export const tasks = {
  coded: (): never => {
    throw Object.assign(new Error('no such checkpoint'), { code: 'CHECKPOINT_NOT_FOUND' });
  },
  die: (): never => process.exit(7),
};

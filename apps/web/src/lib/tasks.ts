/**
 * Fixed tasks files in the explorer and on the run page: their operations (typed from the schema like
 * queries.ts's, reusing its fragments) and the shapes components take.
 */
import { graphql } from '@/gql';
import type { RunTaskEvaluationsQuery, TasksFileInput } from '@/gql/graphql';

/** A tasks file: a path relative to the data folder, or to a run's folder when `run` is set. */
export type TasksFileRef = TasksFileInput;

/** A report on a tasks file, as the run page shows it. */
export type TaskEvaluation = NonNullable<RunTaskEvaluationsQuery['run']>['taskEvaluations'][number];

/** The explorer lists at most this many episodes of a file (Lake's runs are 20). */
export const TASK_LIST_LIMIT = 500;

export const TASKS_FILE = graphql(`
  query TasksFile($file: TasksFileInput!, $limit: Int!) {
    tasksFile(file: $file) {
      path
      run
      format
      name
      metric
      episodeCount
      episodes(limit: $limit) {
        index
        id
        way
        shot
        queries
        classes
      }
    }
  }
`);

/** A task with a checkpoint's predictions: its images come with them, as the checkpoint sees them. */
export const TASK_PREDICTION = graphql(`
  query TaskPrediction($checkpoint: ID!, $file: TasksFileInput!, $episode: String!) {
    taskPrediction(checkpoint: $checkpoint, file: $file, episode: $episode) {
      ...PredictionFields
      episode {
        ...EpisodeFields
      }
    }
  }
`);

export const TASK_RAM = graphql(`
  query TaskRam(
    $checkpoint: ID!
    $file: TasksFileInput!
    $episode: String!
    $query: Int!
    $support: Int!
    $top: Int!
  ) {
    taskRam(
      checkpoint: $checkpoint
      file: $file
      episode: $episode
      query: $query
      support: $support
      top: $top
    ) {
      ...RamFields
    }
  }
`);

/** A run's reports on fixed tasks files (the run page; per-episode rows are a few per episode). */
export const RUN_TASK_EVALUATIONS = graphql(`
  query RunTaskEvaluations($id: ID!) {
    run(id: $id) {
      id
      taskEvaluations {
        name
        checkpoint
        tasks
        file {
          path
          run
        }
        title
        metric
        episodes
        accuracy
        ci95
        errorRate
        createdAt
        perEpisode {
          index
          id
          way
          shot
          queries
          correct
          accuracy
          errorRate
          outOfDomain
        }
      }
    }
  }
`);

/** The explorer's URL for one task of a report (null when the report's file or checkpoint is not nameable). */
export function taskExplorerUrl(e: TaskEvaluation, episodeId: string): string | null {
  if (!e.file || !e.checkpoint || !/^[^/]+\/(best|latest)$/.test(e.checkpoint)) return null;
  const q = new URLSearchParams({ checkpoint: e.checkpoint, source: 'tasks', tasks: e.file.path });
  if (e.file.run) q.set('tasksRun', e.file.run);
  q.set('task', episodeId);
  return `/explore?${q.toString()}`;
}

/**
 * Fixed tasks files in the explorer: the operations and their result types (kept apart from queries.ts and
 * types.ts, whose shapes they reuse).
 */
import { gql } from '@urql/core';
import type { Episode, Prediction } from './types';

/** A tasks file: a path relative to the data folder, or to a run's folder when `run` is set. */
export interface TasksFileRef {
  path: string;
  run?: string | null;
}

export interface TaskEpisodeInfo {
  index: number;
  id: string;
  way: number;
  shot: number;
  queries: number;
  classes: string[];
}

export interface TasksFile {
  path: string;
  run: string | null;
  format: string;
  name: string | null;
  metric: string;
  episodeCount: number;
  episodes: TaskEpisodeInfo[];
}

export type TaskPrediction = Prediction & { episode: Episode };

const GRID_FIELDS = `grid { rows cols imageSize rowCentres colCentres receptiveField regions { x y width height } }`;
const BOX = `{ x y width height }`;

/** The explorer lists at most this many episodes of a file (Lake's runs are 20). */
export const TASK_LIST_LIMIT = 500;

export const TASKS_FILE = gql`
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
`;

export const TASK_PREDICTION = gql`
  query TaskPrediction($checkpoint: ID!, $file: TasksFileInput!, $episode: String!) {
    taskPrediction(checkpoint: $checkpoint, file: $file, episode: $episode) {
      checkpoint
      accuracy
      regions
      gridRows
      gridCols
      ${GRID_FIELDS}
      episode {
        id dataset split way shot query seed index
        classes { label id name }
        support { index imageId classId label url }
        queries { index imageId classId label url }
      }
      queries {
        index imageId url trueLabel predictedLabel correct probabilities
        supports { index label imageId score regionScores regionWeights }
      }
    }
  }
`;

export const TASK_RAM = gql`
  query TaskRam(
    $checkpoint: ID!
    $file: TasksFileInput!
    $episode: String!
    $query: Int!
    $support: Int!
    $top: Int!
  ) {
    taskRam(checkpoint: $checkpoint, file: $file, episode: $episode, query: $query, support: $support, top: $top) {
      query support gridRows gridCols imageSize regionScores regionWeights contributions score probability
      similarity queryContributions classScore share
      ${GRID_FIELDS}
      urls { panel contributions queryContributions }
      bestMatches { supportRegion queryRegion similarity weight contribution supportBox ${BOX} queryBox ${BOX} }
    }
  }
`;

export interface TaskEpisodeResult {
  index: number;
  id: string;
  way: number;
  shot: number;
  queries: number;
  correct: number;
  accuracy: number;
  errorRate: number;
  outOfDomain: number;
}

export interface TaskEvaluation {
  name: string;
  checkpoint: string | null;
  tasks: string;
  file: TasksFileRef | null;
  title: string | null;
  metric: string;
  episodes: number;
  accuracy: number;
  ci95: number;
  errorRate: number;
  perEpisode: TaskEpisodeResult[];
  createdAt: string | null;
}

/** A run's reports on fixed tasks files (the run page; per-episode rows are a few per episode). */
export const RUN_TASK_EVALUATIONS = gql`
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
`;

/** The explorer's URL for one task of a report (null when the report's file or checkpoint is not nameable). */
export function taskExplorerUrl(e: TaskEvaluation, episodeId: string): string | null {
  if (!e.file || !e.checkpoint || !/^[^/]+\/(best|latest)$/.test(e.checkpoint)) return null;
  const q = new URLSearchParams({ checkpoint: e.checkpoint, source: 'tasks', tasks: e.file.path });
  if (e.file.run) q.set('tasksRun', e.file.run);
  q.set('task', episodeId);
  return `/explore?${q.toString()}`;
}

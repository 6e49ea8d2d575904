/** Every GraphQL operation the dashboard sends (selections kept under the API's cost limit). */
import { gql } from '@urql/core';

export const RUN_FIELDS = `id status method dataset config episode totalEpisodes bestValAccuracy bestValCi95 bestEpisode startedAt updatedAt error`;
export const JOB_FIELDS = `id kind status runId checkpoint error createdAt startedAt finishedAt progress { phase done total loss accuracy episodesPerSecond etaSeconds }`;
const CHECKPOINT_FIELDS = `checkpoints { ref name episodes createdAt model }`;
const METRIC_FIELDS = `metrics { type episode loss accuracy lr ci95 best }`;
const EVAL_FIELDS = `evaluations { name checkpoint dataset split way shot query episodes seed accuracy ci95 loss createdAt confusion(maxClasses: 60) classCount confusionPairs(limit: 20) { trueIndex predictedIndex count share } classes { index id name } perClass { id name correct total accuracy } }`;
/** The region grid as the API places it (receptive-field geometry). */
const GRID_FIELDS = `grid { rows cols imageSize rowCentres colCentres receptiveField regions { x y width height } }`;

export const OVERVIEW = gql`
  query Overview {
    backend { name requested tfBackend version coreVersion devices }
    datasets { id name format splits { name classCount imageCount imageWidth imageHeight channels } }
    runs(limit: 8) { ${RUN_FIELDS} }
    jobs(status: [queued, running], limit: 10) { ${JOB_FIELDS} }
  }
`;

export const DATASETS = gql`
  query Datasets {
    datasets {
      id
      name
      format
      splits {
        name
        classCount
        imageCount
        imageWidth
        imageHeight
        channels
      }
    }
  }
`;

export const RUNS = gql`
  query Runs($limit: Int!) {
    runs(limit: $limit) { ${RUN_FIELDS} }
    jobs(limit: 20) { ${JOB_FIELDS} }
  }
`;

/** Runs with their checkpoints, for checkpoint pickers. */
export const CHECKPOINTS = gql`
  query Checkpoints {
    runs(limit: 30) { ${RUN_FIELDS} ${CHECKPOINT_FIELDS} }
  }
`;

export const RUN_METRICS = gql`
  query RunMetrics($id: ID!) {
    run(id: $id) { ${RUN_FIELDS} ${METRIC_FIELDS} }
  }
`;

export const RUN_DETAIL = gql`
  query RunDetail($id: ID!) {
    run(id: $id) { ${RUN_FIELDS} ${CHECKPOINT_FIELDS} ${METRIC_FIELDS} }
  }
`;

/**
 * A run's evaluation reports, apart from RUN_DETAIL: a report over thousands of classes is megabytes (its
 * confusion matrix), so the page shows the run at once and does not re-download reports while it polls.
 */
/** One report's full confusion matrix (on demand: megabytes at thousands of classes). */
export const RUN_EVALUATION_MATRIX = gql`
  query RunEvaluationMatrix($id: ID!, $name: String!) {
    run(id: $id) {
      id
      evaluations(name: $name) {
        name
        confusion
      }
    }
  }
`;

export const RUN_EVALUATIONS = gql`
  query RunEvaluations($id: ID!) {
    run(id: $id) { id ${EVAL_FIELDS} }
  }
`;

export const JOB = gql`
  query Job($id: ID!) {
    job(id: $id) { ${JOB_FIELDS} }
  }
`;

export const SPLIT_CLASSES = gql`
  query SplitClasses($dataset: ID!, $split: String!, $limit: Int!) {
    dataset(id: $dataset) {
      id
      split(name: $split) {
        name
        classCount
        classes(limit: $limit) {
          id
          name
          imageCount
        }
      }
    }
  }
`;

export const CLASS_IMAGES = gql`
  query ClassImages($dataset: ID!, $split: String!, $offset: Int!, $limit: Int!) {
    dataset(id: $dataset) {
      id
      split(name: $split) {
        name
        classes(offset: $offset, limit: $limit) {
          id
          name
          images(limit: 4) {
            id
            classId
            url
          }
        }
      }
    }
  }
`;

export const EPISODE = gql`
  query Episode(
    $dataset: String!
    $split: String!
    $way: Int!
    $shot: Int!
    $query: Int!
    $seed: Int!
    $index: Int!
  ) {
    episode(
      dataset: $dataset
      split: $split
      way: $way
      shot: $shot
      query: $query
      seed: $seed
      index: $index
    ) {
      id
      dataset
      split
      way
      shot
      query
      seed
      index
      classes {
        label
        id
        name
      }
      support {
        index
        imageId
        classId
        label
        url
      }
      queries {
        index
        imageId
        classId
        label
        url
      }
    }
  }
`;

export const PREDICTION = gql`
  query Prediction($checkpoint: ID!, $episode: EpisodeInput!) {
    prediction(checkpoint: $checkpoint, episode: $episode) {
      checkpoint
      accuracy
      regions
      gridRows
      gridCols
      ${GRID_FIELDS}
      queries {
        index
        imageId
        url
        trueLabel
        predictedLabel
        correct
        probabilities
        supports {
          index
          label
          imageId
          score
          regionScores
          regionWeights
        }
      }
    }
  }
`;

export const RAM = gql`
  query Ram($checkpoint: ID!, $episode: EpisodeInput!, $query: Int!, $support: Int!, $top: Int!) {
    ram(checkpoint: $checkpoint, episode: $episode, query: $query, support: $support, top: $top) {
      query
      support
      gridRows
      gridCols
      imageSize
      regionScores
      regionWeights
      contributions
      score
      probability
      similarity
      queryContributions
      classScore
      share
      ${GRID_FIELDS}
      urls {
        panel
        contributions
        queryContributions
      }
      bestMatches {
        supportRegion
        queryRegion
        similarity
        weight
        contribution
        supportBox {
          x
          y
          width
          height
        }
        queryBox {
          x
          y
          width
          height
        }
      }
    }
  }
`;

export const PARTS = gql`
  query Parts($checkpoint: ID!, $class: String!, $split: String!, $episodes: Int!) {
    prototypicalParts(checkpoint: $checkpoint, class: $class, split: $split, episodes: $episodes) {
      checkpoint
      dataset
      split
      classId
      className
      episodes
      way
      shot
      query
      queries
      correctDecisions
      galleryUrl
      seconds
      cached
      ${GRID_FIELDS}
      parts {
        index
        decisions
        frequency
        members
        meanContribution
        patches {
          episode
          imageId
          imageUrl
          patchUrl
          region
          contribution
          share
          box {
            x
            y
            width
            height
          }
        }
      }
    }
  }
`;

export const START_TRAINING = gql`
  mutation StartTraining($config: TrainConfigInput!) {
    startTraining(config: $config) { ${JOB_FIELDS} }
  }
`;

export const CANCEL_JOB = gql`
  mutation CancelJob($id: ID!) {
    cancelJob(id: $id) { ${JOB_FIELDS} }
  }
`;

export const RESUME = gql`
  mutation Resume($runId: ID!, $episodes: Int) {
    resumeTraining(runId: $runId, episodes: $episodes) { ${JOB_FIELDS} }
  }
`;

export const EVALUATE = gql`
  mutation Evaluate($checkpoint: ID!, $config: EvaluateInput!) {
    evaluate(checkpoint: $checkpoint, config: $config) { ${JOB_FIELDS} }
  }
`;

export const PREDICT = gql`
  mutation Predict($checkpoint: ID!, $supports: [LabelledImageInput!]!, $queries: [ImageInput!]!) {
    predict(checkpoint: $checkpoint, supports: $supports, queries: $queries) {
      checkpoint
      classes
      way
      shot
      regions
      gridRows
      gridCols
      ${GRID_FIELDS}
      queries {
        index
        probabilities
        predictedLabel
        predictedClass
        trueClass
        correct
        supports {
          index
          label
          imageId
          score
          regionScores
          regionWeights
        }
      }
    }
  }
`;

export const SWEEPS = gql`
  query Sweeps {
    sweeps(limit: 20) {
      name
      keys
      progress {
        cells
        done
        running
        pending
        failed
      }
      cells {
        id
        seed
        state
        episode
        episodes
        accuracy
      }
      table {
        setting
        done
        planned
        mean
        ci95
      }
      markdown
      csv
    }
  }
`;

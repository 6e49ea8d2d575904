/**
 * Every GraphQL operation the dashboard sends (selections kept under the API's cost limit). `graphql()` is
 * GraphQL Code Generator's: each document is typed from apps/api/schema.graphql (see codegen.ts), and the
 * fragment types below are the shapes components take.
 */
import { graphql } from '@/gql';

export const RUN_FIELDS = graphql(`
  fragment RunFields on Run {
    id
    status
    method
    dataset
    config
    episode
    totalEpisodes
    bestValAccuracy
    bestValCi95
    bestEpisode
    startedAt
    updatedAt
    error
  }
`);

export const JOB_FIELDS = graphql(`
  fragment JobFields on Job {
    id
    kind
    status
    runId
    checkpoint
    error
    createdAt
    startedAt
    finishedAt
    progress {
      phase
      done
      total
      loss
      accuracy
      episodesPerSecond
      etaSeconds
    }
  }
`);

export const CHECKPOINT_FIELDS = graphql(`
  fragment CheckpointFields on Checkpoint {
    ref
    name
    episodes
    createdAt
    model
  }
`);

export const METRIC_FIELDS = graphql(`
  fragment MetricFields on MetricPoint {
    type
    episode
    loss
    accuracy
    lr
    ci95
    best
    elapsedSeconds
    time
  }
`);

/** A model of the zoo as pickers and the zoo page show it. */
export const ZOO_FIELDS = graphql(`
  fragment ZooFields on ZooModel {
    name
    ref
    title
    method
    dataset
    way
    shot
    episodes
    wallSeconds
    machine
    command
    test {
      split
      way
      shot
      query
      episodes
      withinGroup
      accuracy
      ci95
    }
    validation {
      episode
      seconds
      accuracy
      ci95
      lr
    }
  }
`);

export const ZOO = graphql(`
  query Zoo {
    zoo {
      ...ZooFields
    }
  }
`);

/** A run with its learning curves (the runs page asks for several at once, see lib/runs.ts). */
export const RUN_METRICS_FIELDS = graphql(`
  fragment RunMetricsFields on Run {
    ...RunFields
    metrics {
      ...MetricFields
    }
  }
`);

export const EVALUATION_FIELDS = graphql(`
  fragment EvaluationFields on Evaluation {
    name
    checkpoint
    dataset
    split
    way
    shot
    query
    episodes
    seed
    accuracy
    ci95
    loss
    createdAt
    confusion(maxClasses: 60)
    classCount
    confusionPairs(limit: 20) {
      trueIndex
      predictedIndex
      count
      share
    }
    classes {
      index
      id
      name
    }
    perClass {
      id
      name
      correct
      total
      accuracy
    }
  }
`);

export const BOX_FIELDS = graphql(`
  fragment BoxFields on Box {
    x
    y
    width
    height
  }
`);

/** The region grid as the API places it (receptive-field geometry). */
export const GRID_FIELDS = graphql(`
  fragment GridFields on RegionGrid {
    rows
    cols
    imageSize
    rowCentres
    colCentres
    receptiveField
    regions {
      ...BoxFields
    }
  }
`);

export const SUPPORT_COMPARISON_FIELDS = graphql(`
  fragment SupportComparisonFields on SupportComparison {
    index
    label
    imageId
    score
    regionScores
    regionWeights
    contributions
  }
`);

export const DATASET_FIELDS = graphql(`
  fragment DatasetFields on Dataset {
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
`);

export const EPISODE_IMAGE_FIELDS = graphql(`
  fragment EpisodeImageFields on EpisodeImage {
    index
    imageId
    classId
    label
    url
  }
`);

/** An episode as the explorer shows it (sampled, or a task of a tasks file). */
export const EPISODE_FIELDS = graphql(`
  fragment EpisodeFields on Episode {
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
      ...EpisodeImageFields
    }
    queries {
      ...EpisodeImageFields
    }
  }
`);

/** A checkpoint's predictions on an episode, with the comparisons behind them. */
export const PREDICTION_FIELDS = graphql(`
  fragment PredictionFields on Prediction {
    checkpoint
    accuracy
    regions
    grid {
      ...GridFields
    }
    queries {
      index
      imageId
      url
      trueLabel
      predictedLabel
      correct
      probabilities
      supports {
        ...SupportComparisonFields
      }
    }
  }
`);

/** The region activation map of one (query, support) pair. */
export const RAM_FIELDS = graphql(`
  fragment RamFields on Ram {
    query
    support
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
    grid {
      ...GridFields
    }
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
        ...BoxFields
      }
      queryBox {
        ...BoxFields
      }
    }
  }
`);

export const OVERVIEW = graphql(`
  query Overview {
    backend {
      name
      requested
      tfBackend
      version
      coreVersion
      devices
    }
    datasets {
      ...DatasetFields
    }
    runs(limit: 8) {
      ...RunFields
    }
    jobs(status: [queued, running], limit: 10) {
      ...JobFields
    }
  }
`);

export const DATASETS = graphql(`
  query Datasets {
    datasets {
      ...DatasetFields
    }
  }
`);

export const RUNS = graphql(`
  query Runs($limit: Int!) {
    runs(limit: $limit) {
      ...RunFields
    }
    jobs(limit: 20) {
      ...JobFields
    }
  }
`);

/** Runs with their checkpoints, for checkpoint pickers. */
export const CHECKPOINTS = graphql(`
  query Checkpoints {
    runs(limit: 30) {
      ...RunFields
      checkpoints {
        ...CheckpointFields
      }
    }
    zoo {
      ...ZooFields
    }
  }
`);

export const RUN_DETAIL = graphql(`
  query RunDetail($id: ID!) {
    run(id: $id) {
      ...RunMetricsFields
      checkpoints {
        ...CheckpointFields
      }
    }
  }
`);

/** One report's full confusion matrix (on demand: megabytes at thousands of classes). */
export const RUN_EVALUATION_MATRIX = graphql(`
  query RunEvaluationMatrix($id: ID!, $name: String!) {
    run(id: $id) {
      id
      evaluations(name: $name) {
        name
        confusion
      }
    }
  }
`);

/**
 * A run's evaluation reports, apart from RUN_DETAIL: a report over thousands of classes is megabytes (its
 * confusion matrix), so the page shows the run at once and does not re-download reports while it polls.
 */
export const RUN_EVALUATIONS = graphql(`
  query RunEvaluations($id: ID!) {
    run(id: $id) {
      id
      evaluations {
        ...EvaluationFields
      }
    }
  }
`);

export const JOB = graphql(`
  query Job($id: ID!) {
    job(id: $id) {
      ...JobFields
    }
  }
`);

export const SPLIT_CLASSES = graphql(`
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
`);

export const CLASS_IMAGES = graphql(`
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
`);

export const EPISODE = graphql(`
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
      ...EpisodeFields
    }
  }
`);

export const PREDICTION = graphql(`
  query Prediction($checkpoint: ID!, $episode: EpisodeInput!) {
    prediction(checkpoint: $checkpoint, episode: $episode) {
      ...PredictionFields
    }
  }
`);

export const RAM = graphql(`
  query Ram($checkpoint: ID!, $episode: EpisodeInput!, $query: Int!, $support: Int!, $top: Int!) {
    ram(checkpoint: $checkpoint, episode: $episode, query: $query, support: $support, top: $top) {
      ...RamFields
    }
  }
`);

export const PARTS = graphql(`
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
      grid {
        ...GridFields
      }
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
            ...BoxFields
          }
        }
      }
    }
  }
`);

export const START_TRAINING = graphql(`
  mutation StartTraining($config: TrainConfigInput!) {
    startTraining(config: $config) {
      ...JobFields
    }
  }
`);

export const CANCEL_JOB = graphql(`
  mutation CancelJob($id: ID!) {
    cancelJob(id: $id) {
      ...JobFields
    }
  }
`);

export const RESUME = graphql(`
  mutation Resume($runId: ID!, $episodes: Int) {
    resumeTraining(runId: $runId, episodes: $episodes) {
      ...JobFields
    }
  }
`);

export const EVALUATE = graphql(`
  mutation Evaluate($checkpoint: ID!, $config: EvaluateInput!) {
    evaluate(checkpoint: $checkpoint, config: $config) {
      ...JobFields
    }
  }
`);

export const PREDICT = graphql(`
  mutation Predict($checkpoint: ID!, $supports: [LabelledImageInput!]!, $queries: [ImageInput!]!) {
    predict(checkpoint: $checkpoint, supports: $supports, queries: $queries) {
      checkpoint
      classes
      way
      shot
      regions
      grid {
        ...GridFields
      }
      queries {
        index
        probabilities
        predictedLabel
        predictedClass
        trueClass
        correct
        supports {
          ...SupportComparisonFields
        }
      }
    }
  }
`);

export const SWEEPS = graphql(`
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
`);

export {
  defaultTestSplit,
  evaluateCheckpoint,
  type EvaluateCheckpointOptions,
  type EpisodesReport,
  type EpisodesRequest,
  type EvaluationOutcome,
  type EvaluationRequest,
  EvaluationRequestError,
  type ReportCheckpoint,
  type TasksReport,
  type TasksRequest,
} from './evaluate-checkpoint.js';

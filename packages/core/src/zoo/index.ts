export {
  readZooCard,
  writeZooCard,
  zooCardSchema,
  ZOO_CARD_FILE,
  type ZooCard,
  type ZooCheck,
  type ZooEvaluation,
} from './card.js';
export { runZooCheck, compareZooCheck, type ZooCheckSpec } from './check.js';
export { listZoo, pickZooModel, zooModelFor, type ZooModel, type ZooQuery } from './list.js';
export { publishZooModel, describeMachine, type PublishZooOptions } from './publish.js';
export { renderZooCardMarkdown, renderZooCurveSvg } from './render.js';

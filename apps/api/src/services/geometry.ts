/**
 * The region grid as the API reports it: core's receptive-field geometry flattened to plain numbers
 * (`gridGeometry`, which the browser entry uses too), so clients draw regions where the model sees them.
 * Boxes are core's `Box` (x, y, width, height in image pixels), as the schema's `Box`.
 */
export { type Box, gridGeometry as geometryOf, type GridGeometry } from '@rcn/core';

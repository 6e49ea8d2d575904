/** The SDL, read from the package's schema.graphql (the same relative path from src/ and dist/). */
import { readFileSync } from 'node:fs';

export const SCHEMA_PATH = new URL('../../schema.graphql', import.meta.url);

export function loadTypeDefs(): string {
  return readFileSync(SCHEMA_PATH, 'utf8');
}

/** Every migration, listed explicitly and in order; names are frozen once released. */
import type { Migration } from 'kysely';
import * as initial from './001-initial.js';
import * as documents from './002-documents.js';

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '001-initial': initial,
  '002-documents': documents,
};

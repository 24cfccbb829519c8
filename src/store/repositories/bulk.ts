import { CompiledQuery } from 'kysely';
import type { Dialect } from '../connect.ts';

/** Rows per multi-row statement on SQLite: well under its limit on bound parameters. */
export const ROWS_PER_STATEMENT = 500;

/** A column of a multi-row statement: its name, and its type on PostgreSQL (for the array it is sent as). */
export type BulkColumn = readonly [name: string, postgresType: string];

const placeholderLists = new Map<string, string>();

/** `(?, ?, …), (?, ?, …)` for `count` rows of `width` values (SQLite), kept once made: batches repeat their sizes. */
export function valuesList(count: number, width: number): string {
  const key = `${count}x${width}`;
  let text = placeholderLists.get(key);
  if (text === undefined) {
    const row = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    text = Array.from({ length: count }, () => row).join(', ');
    if (placeholderLists.size >= 512) placeholderLists.clear();
    placeholderLists.set(key, text);
  }
  return text;
}

/** `unnest($1::text[], $2::bigint[] …)` for these PostgreSQL types. */
export function unnest(types: readonly string[]): string {
  return `unnest(${types.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})`;
}

/**
 * The statements that insert these rows (each a list of values in the order
 * of `columns`): on SQLite one `VALUES` list of bound parameters per
 * ROWS_PER_STATEMENT rows, on PostgreSQL one statement with one array per
 * column, so that the text, its planning and its binding stay small however
 * many rows there are. Built here rather than by Kysely's query builder:
 * building a query tree per row costs more than running it.
 */
export function insertStatements(
  dialect: Dialect,
  table: string,
  columns: readonly BulkColumn[],
  rows: ReadonlyArray<readonly unknown[]>,
  returning = '',
): CompiledQuery[] {
  if (rows.length === 0) return [];
  const names = columns.map(([name]) => name).join(', ');
  const tail = returning ? ` returning ${returning}` : '';
  if (dialect === 'postgres') {
    const arrays: unknown[][] = columns.map(() => new Array(rows.length));
    rows.forEach((row, r) => {
      for (let c = 0; c < columns.length; c++) arrays[c]![r] = row[c];
    });
    return [CompiledQuery.raw(`insert into ${table} (${names}) select * from ${unnest(columns.map(([, type]) => type))}${tail}`, arrays)];
  }
  const statements: CompiledQuery[] = [];
  for (let first = 0; first < rows.length; first += ROWS_PER_STATEMENT) {
    const part = rows.slice(first, first + ROWS_PER_STATEMENT);
    const parameters: unknown[] = [];
    for (const row of part) for (const value of row) parameters.push(value);
    statements.push(CompiledQuery.raw(`insert into ${table} (${names}) values ${valuesList(part.length, columns.length)}${tail}`, parameters));
  }
  return statements;
}

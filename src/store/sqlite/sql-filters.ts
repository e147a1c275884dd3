// WHERE-clause building shared by the SQLite queries: equality filters mapped to columns.
import type { SqlValue } from './sqlite-schema.js';

/** Appends `column = ?` for every filter that is set (numbers and strings; others are ignored). */
export function addFilters<F extends object>(options: {
  filters: F;
  columns: Record<keyof F, string>;
  conditions: string[];
  params: SqlValue[];
}): void {
  const { filters, columns, conditions, params } = options;
  for (const name of Object.keys(columns) as (keyof F)[]) {
    const value = filters[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    const column = columns[name];
    // A request that reached no provider has provider NULL in raw rows and '' in rollups.
    if (name === 'provider' && value === '') conditions.push(`coalesce(${column}, '') = ''`);
    else {
      conditions.push(`${column} = ?`);
      params.push(value);
    }
  }
}

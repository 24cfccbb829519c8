import { SEVERITY_PRESETS } from './presets.ts';
import { closestName } from './problems.ts';
import type { SchemaProblem } from './schemaProblems.ts';

/**
 * Reading a config document that may not have passed the schema yet: every
 * helper tolerates missing or wrongly typed parts, so that reference checks can
 * run beside schema checks and report everything in one go.
 */
export type Path = (string | number)[];
export type Item = Record<string, unknown>;

export const asItem = (value: unknown): Item | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Item) : undefined;

export const itemsOf = (value: unknown): Array<{ index: number; item: Item }> =>
  Array.isArray(value) ? value.flatMap((v, index) => (asItem(v) ? [{ index, item: asItem(v)! }] : [])) : [];

export const idsOf = (value: unknown): string[] => itemsOf(value).flatMap(({ item }) => (typeof item.id === 'string' ? [item.id] : []));

export function severityIds(root: Item): string[] {
  const severities = asItem(root.severities);
  if (!severities) return [];
  if (typeof severities.preset === 'string') {
    return (SEVERITY_PRESETS as Record<string, Array<{ id: string }>>)[severities.preset]?.map((l) => l.id) ?? [];
  }
  return idsOf(severities.levels);
}

/** Reports `value` when it names none of `known`, with a likely intended name and the list. */
export function referenceChecker(problems: SchemaProblem[]) {
  return (value: unknown, known: string[], noun: string, list: string, at: Path, ignoreCase = false): void => {
    if (typeof value !== 'string') return;
    const found = ignoreCase ? known.some((k) => k.toLowerCase() === value.toLowerCase()) : known.includes(value);
    if (found) return;
    const guess = closestName(value, known);
    problems.push({
      at,
      message: `${noun} "${value}" does not exist`,
      fix: `${guess ? `did you mean "${guess}"? ` : ''}use one of the ids under ${list}: (${known.join(', ') || 'none defined'})`,
    });
  };
}

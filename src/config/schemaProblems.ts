import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { closestName, pointerToPath, quoteList, type ConfigPath } from './problems.ts';

/** A problem found by the schema, located by path; load.ts adds line numbers. */
export interface SchemaProblem {
  at: ConfigPath;
  message: string;
  fix: string;
}

/**
 * TypeBox's own messages ("Expected union value") are written for programmers; a
 * person editing YAML needs to hear which field, what was wrong with it, and what
 * to write instead. This turns each schema error into that.
 */
export function schemaProblems(schema: TSchema, document: unknown): SchemaProblem[] {
  return withoutEchoes(describeErrors([...Value.Errors(schema, document)], document));
}

/** String formats we check ourselves, so that no global TypeBox FormatRegistry needs to be touched. */
const FORMAT_CHECKS: Record<string, { test: (value: string) => boolean; example: string }> = {
  email: { test: (value) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value), example: 'alice@example.com' },
};

function describeErrors(errors: ValueError[], document: unknown): SchemaProblem[] {
  return errors.flatMap((error) => describeError(error, document)).map((problem) =>
    // A problem with the whole document has no field name to stand before "is …".
    problem.at.length === 0 && problem.message.startsWith('is ') ? { ...problem, message: `the file ${problem.message}` } : problem,
  );
}

function describeError(error: ValueError, document: unknown): SchemaProblem[] {
  const at = pointerToPath(error.path, document);
  const schema = error.schema as TSchema & Record<string, unknown>;
  const described = typeof schema.description === 'string' ? schema.description : undefined;
  const name = String(at[at.length - 1] ?? 'the file');
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return [{ at, message: `missing required field "${name}"`, fix: `add ${name}: ${exampleOf(schema)}` }];
    case ValueErrorType.ObjectAdditionalProperties: {
      const allowed = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
      const guess = closestName(name, allowed);
      return [
        {
          at,
          message: `unknown field "${name}"`,
          fix: `${guess ? `did you mean "${guess}"? ` : ''}allowed fields here: ${quoteList(allowed)}`,
        },
      ];
    }
    case ValueErrorType.Union:
      return describeUnion(error, at, document);
    case ValueErrorType.Literal:
      return [{ at, message: `is ${describeValue(error.value)}, must be ${JSON.stringify(schema.const)}`, fix: `write ${name}: ${String(schema.const)}` }];
    case ValueErrorType.StringPattern: {
      const pattern = new RegExp(String(schema.pattern));
      const lowered = String(error.value).toLowerCase();
      const suggestion = lowered !== error.value && pattern.test(lowered) ? `, such as "${lowered}"` : '';
      return [
        {
          at,
          message: `${describeValue(error.value)} is not allowed here`,
          fix: `write ${described ?? `text matching ${String(schema.pattern)}`}${suggestion}`,
        },
      ];
    }
    case ValueErrorType.StringMinLength:
      return [{ at, message: 'must not be empty', fix: `give ${name} a value` }];
    case ValueErrorType.StringFormatUnknown:
    case ValueErrorType.StringFormat: {
      const format = String(schema.format);
      const check = FORMAT_CHECKS[format];
      if (check?.test(String(error.value))) return [];
      return [{ at, message: `${describeValue(error.value)} is not a valid ${format}`, fix: `write it like ${check?.example ?? format}` }];
    }
    case ValueErrorType.ArrayMinItems:
      return [{ at, message: `needs at least ${String(schema.minItems)} entr${schema.minItems === 1 ? 'y' : 'ies'}`, fix: `add entries to ${name}` }];
    case ValueErrorType.Array:
      return [{ at, message: `is ${describeValue(error.value)}, expected a list`, fix: 'write it as a YAML list, one "- item" per line (or [] for none)' }];
    case ValueErrorType.Object:
      return [{ at, message: `is ${describeValue(error.value)}, expected a mapping of fields`, fix: `write it as indented "field: value" lines${described ? ` (${described})` : ''}` }];
    case ValueErrorType.String:
      return [{ at, message: `is ${describeValue(error.value)}, expected text`, fix: `write text${described ? ` (${described})` : ''}; quote it if YAML reads it as a number or boolean` }];
    default:
      return [{ at, message: error.message, fix: described ? `write ${described}` : 'see the example firebreak.yaml' }];
  }
}

/**
 * A failed union is either a choice of words (preset names, weekdays) or a choice of
 * shapes (severities: preset or levels). For a choice of shapes, report the errors
 * of the variant the author evidently meant: the one whose own fields fit best.
 */
function describeUnion(error: ValueError, at: ConfigPath, document: unknown): SchemaProblem[] {
  const schema = error.schema as TSchema & { anyOf: (TSchema & Record<string, unknown>)[]; description?: string };
  const literals = schema.anyOf.map((variant) => variant.const);
  if (literals.every((literal) => literal !== undefined)) {
    const allowed = literals.map(String);
    const guess = typeof error.value === 'string' ? closestName(error.value, allowed) : undefined;
    return [
      {
        at,
        message: `${describeValue(error.value)} is not one of the allowed values`,
        fix: `${guess ? `did you mean "${guess}"? ` : ''}allowed values: ${quoteList(allowed)}`,
      },
    ];
  }
  const variants = error.errors.map((iterator) => [...iterator]);
  const scored = variants.map((errors) => ({ errors, misfit: shapeMisfits(errors, error.path) }));
  const best = scored.reduce((a, b) => (b.misfit < a.misfit || (b.misfit === a.misfit && b.errors.length < a.errors.length) ? b : a));
  if (best.misfit === 0 || scored.filter((variant) => variant.misfit === best.misfit).length === 1) {
    return describeErrors(best.errors, document);
  }
  const shapes = schema.anyOf.map((variant) => {
    const required = (variant.required as string[] | undefined) ?? [];
    return required.length > 0 ? `a mapping with ${required.join(' and ')}:` : String(variant.type ?? 'a value');
  });
  return [
    {
      at,
      message: `is ${describeValue(error.value)}, which matches none of the allowed forms`,
      fix: schema.description ? `write ${schema.description}` : `write one of: ${shapes.join(', or ')}`,
    },
  ];
}

/** Errors that say a variant has the wrong shape right at the union's own level. */
function shapeMisfits(errors: ValueError[], unionPointer: string): number {
  return errors.filter((error) => {
    if (error.path === unionPointer) return true;
    const isChild = error.path.startsWith(`${unionPointer}/`) && !error.path.slice(unionPointer.length + 1).includes('/');
    return isChild && (error.type === ValueErrorType.ObjectRequiredProperty || error.type === ValueErrorType.ObjectAdditionalProperties);
  }).length;
}

/** A missing field also fails its type check; one problem per path is enough. */
function withoutEchoes(problems: SchemaProblem[]): SchemaProblem[] {
  const missing = new Set(problems.filter((p) => p.message.startsWith('missing required field')).map((p) => JSON.stringify(p.at)));
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = JSON.stringify(problem.at);
    if (missing.has(key) && !problem.message.startsWith('missing required field')) return false;
    const identity = `${key} ${problem.message}`;
    if (seen.has(identity)) return false;
    seen.add(identity);
    return true;
  });
}

function exampleOf(schema: TSchema & Record<string, unknown>): string {
  if (schema.const !== undefined) return String(schema.const);
  if (typeof schema.description === 'string') return `<${schema.description}>`;
  if (schema.type === 'string') return '<text>';
  if (schema.type === 'array') return '[]';
  if (schema.type === 'object') return '{ … }';
  return '<value>';
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'empty';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${String(value)}`;
}

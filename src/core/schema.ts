import { Type, type TUnsafe } from '@sinclair/typebox';

/**
 * A string from a fixed list, as a JSON Schema `enum` rather than a union of
 * literals: validators then answer "must be one of: a, b, c" instead of one
 * error per literal.
 */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

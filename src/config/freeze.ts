/**
 * Config objects are shared by every request between reloads; freezing them turns
 * an accidental mutation into an immediate TypeError instead of a silent drift.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * A step's `runner` attribute picks the runners that may run it, by their labels:
 * `db` (a label named db, or any label whose value is db), `env=prod`, or several
 * terms separated by commas or spaces, all of which must hold (`env=prod,host=db1`).
 * A step without one runs on any runner.
 */
export function matchesSelector(selector: string | null, labels: Readonly<Record<string, string>>): boolean {
  if (selector === null || selector.trim() === '') return true;
  return selector
    .split(/[\s,]+/)
    .filter((term) => term !== '')
    .every((term) => {
      const eq = term.indexOf('=');
      if (eq < 0) return Object.hasOwn(labels, term) || Object.values(labels).includes(term);
      const key = term.slice(0, eq);
      return Object.hasOwn(labels, key) && labels[key] === term.slice(eq + 1);
    });
}

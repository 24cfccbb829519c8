import { useApp } from '../app/context.tsx';
import { Checkbox } from './controls.tsx';

/** The <option>s of the configuration's lists, for the selects that pick from them. */

export function PersonOptions() {
  const { config } = useApp();
  return (
    <>
      {config.users.map((user) => (
        <option key={user.id} value={user.id}>
          {user.name}
        </option>
      ))}
    </>
  );
}

export function ServiceOptions() {
  const { config } = useApp();
  return (
    <>
      {config.services.map((service) => (
        <option key={service.id} value={service.id}>
          {service.name}
        </option>
      ))}
    </>
  );
}

/** `P1 — High`; `short` shows the id alone, for narrow filters. */
export function SeverityOptions({ short = false }: { short?: boolean }) {
  const { config } = useApp();
  return (
    <>
      {config.severities.map((level) => (
        <option key={level.id} value={level.id}>
          {short ? level.id : `${level.id} — ${level.name}`}
        </option>
      ))}
    </>
  );
}

/** A checkbox per service, for picking several (an incident's services, a maintenance's components). */
export function ServiceCheckboxes({ legend, selected, onChange }: { legend: string; selected: readonly string[]; onChange(next: string[]): void }) {
  const { config } = useApp();
  return (
    <fieldset className="field">
      <legend>{legend}</legend>
      <div className="checkbox-grid">
        {config.services.map((service) => (
          <Checkbox
            key={service.id}
            label={service.name}
            checked={selected.includes(service.id)}
            onChange={(e) => onChange(e.target.checked ? [...selected, service.id] : selected.filter((s) => s !== service.id))}
          />
        ))}
      </div>
    </fieldset>
  );
}

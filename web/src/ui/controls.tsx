import { useId, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';

type Variant = 'primary' | 'danger' | 'default' | 'ghost';

export function Button({ variant = 'default', busy = false, children, className, disabled, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; busy?: boolean }) {
  return (
    <button type="button" className={`btn btn-${variant}${className ? ` ${className}` : ''}`} disabled={disabled || busy} aria-busy={busy || undefined} {...rest}>
      {children}
    </button>
  );
}

/** A label, the control, and the hint or the API's complaint about the field, tied together for screen readers. */
export function Field({ label, hint, problem, children }: { label: string; hint?: ReactNode; problem?: string | null; children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode }) {
  const id = useId();
  const note = `${id}-note`;
  return (
    <div className={`field${problem ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-describedby': hint || problem ? note : undefined, 'aria-invalid': problem ? true : undefined })}
      {(problem || hint) && (
        <div id={note} className={problem ? 'field-problem' : 'field-hint'}>
          {problem ?? hint}
        </div>
      )}
    </div>
  );
}

export const TextInput = (props: InputHTMLAttributes<HTMLInputElement>) => <input type="text" className="input" {...props} />;
export const TextArea = (props: TextareaHTMLAttributes<HTMLTextAreaElement>) => <textarea className="input" {...props} />;
export const Select = ({ children, ...props }: SelectHTMLAttributes<HTMLSelectElement>) => (
  <select className="input" {...props}>
    {children}
  </select>
);

export function Checkbox({ label, ...props }: InputHTMLAttributes<HTMLInputElement> & { label: ReactNode }) {
  return (
    <label className="checkbox">
      <input type="checkbox" {...props} />
      <span>{label}</span>
    </label>
  );
}

/** Toggle buttons for a few choices (filters): each one pressed or not. */
export function Chips<T extends string>({ label, options, selected, onChange, names }: { label: string; options: readonly T[]; selected: readonly T[]; onChange(next: T[]): void; names?: Partial<Record<T, string>> }) {
  return (
    <div className="chips" role="group" aria-label={label}>
      {options.map((option) => {
        const on = selected.includes(option);
        return (
          <button
            key={option}
            type="button"
            className={`chip${on ? ' chip-on' : ''}`}
            aria-pressed={on}
            onClick={() => onChange(on ? selected.filter((s) => s !== option) : [...selected, option])}
          >
            {names?.[option] ?? option}
          </button>
        );
      })}
    </div>
  );
}

import type { Config, SeverityLevel } from '../config/schema.ts';
import { invalid } from '../core/errors.ts';

/** Checks names against the configuration in force, with the allowed values in the error. */
export function requireSeverity(config: Config, id: string): SeverityLevel {
  const severity = config.severity(id);
  if (!severity) {
    throw invalid(`Unknown severity "${id}"`, { field: 'severity', allowed: config.severities.map((s) => s.id) });
  }
  return severity;
}

export function requireServices(config: Config, ids: readonly string[]): string[] {
  const unknown = ids.filter((id) => !config.service(id));
  if (unknown.length > 0) {
    throw invalid(`Unknown service${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, {
      field: 'services',
      unknown,
      allowed: config.services.map((s) => s.id),
    });
  }
  return [...ids];
}

export function requireUser(config: Config, id: string, field: string): string {
  if (!config.users.some((u) => u.id === id)) {
    throw invalid(`Unknown user "${id}"`, { field, allowed: config.users.map((u) => u.id) });
  }
  return id;
}

export function requireRole(config: Config, id: string): string {
  if (!config.role(id)) throw invalid(`Unknown incident role "${id}"`, { field: 'role', allowed: config.roles.map((r) => r.id) });
  return id;
}

import { Value } from '@sinclair/typebox/value';
import { ChannelConfig, channelProblems } from '../notify/channels/index.ts';
import { schedulesProblems } from '../paging/schedules/index.ts';
import { ScheduleConfig } from '../paging/schedules/schema.ts';
import { asItem, idsOf, itemsOf, referenceChecker, severityIds, type Item, type Path } from './documentWalk.ts';
import type { SchemaProblem } from './schemaProblems.ts';

/** `schedules[0].layers[1].users[2]` → ['schedules', 0, 'layers', 1, 'users', 2], so problems get line numbers. */
export function pathSegments(text: string): Path {
  const segments: Path = [];
  for (const match of text.matchAll(/([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(JSON.parse(`"${match[3]}"`) as string);
  }
  return segments;
}

/**
 * Paging refers to users, teams, schedules, channels and policies by id; each
 * reference must resolve, schedules must make sense, and channels' secrets
 * must be set in the environment before the file is used.
 */
export function pagingProblems(root: Item, env: Readonly<Record<string, string | undefined>>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const users = idsOf(root.users);
  const teams = idsOf(root.teams);
  const schedules = idsOf(root.schedules);
  const channels = idsOf(root.channels);
  const policies = idsOf(root.escalationPolicies);
  const severities = severityIds(root);

  const reference = referenceChecker(problems);
  const unique = (list: string, noun: string) => {
    const seen = new Set<string>();
    for (const { index, item } of itemsOf(root[list])) {
      if (typeof item.id !== 'string') continue;
      if (seen.has(item.id)) problems.push({ at: [list, index, 'id'], message: `${noun} id "${item.id}" is used twice`, fix: `give each ${noun} its own id` });
      seen.add(item.id);
    }
  };
  const rules = (value: unknown, at: Path) => {
    for (const { index, item } of itemsOf(value)) reference(item.channel, channels, 'channel', 'channels', [...at, index, 'channel']);
  };

  unique('channels', 'channel');
  unique('escalationPolicies', 'escalation policy');

  const checkableSchedules = itemsOf(root.schedules).filter(({ item }) => Value.Check(ScheduleConfig, item));
  for (const problem of schedulesProblems(
    checkableSchedules.map(({ item }) => item as ScheduleConfig),
    new Set(users),
  )) {
    // schedulesProblems numbers the schedules it was given; map back to the file's positions.
    const segments = pathSegments(problem.path);
    if (segments[0] === 'schedules' && typeof segments[1] === 'number') segments[1] = checkableSchedules[segments[1]]?.index ?? segments[1];
    problems.push({ at: segments, message: problem.message, fix: problem.fix });
  }

  for (const { index, item } of itemsOf(root.channels)) {
    if (!Value.Check(ChannelConfig, item)) continue;
    for (const problem of channelProblems(item as ChannelConfig, env)) {
      problems.push({ at: ['channels', index, ...pathSegments(problem.path)], message: problem.message, fix: problem.fix });
    }
  }

  for (const { index, item } of itemsOf(root.escalationPolicies)) {
    for (const { index: level, item: levelItem } of itemsOf(item.levels)) {
      for (const { index: t, item: target } of itemsOf(levelItem.targets)) {
        const at: Path = ['escalationPolicies', index, 'levels', level, 'targets', t];
        reference(target.user, users, 'user', 'users', [...at, 'user']);
        reference(target.team, teams, 'team', 'teams', [...at, 'team']);
        reference(target.schedule, schedules, 'schedule', 'schedules', [...at, 'schedule']);
      }
    }
  }

  for (const { index, item } of itemsOf(root.users)) rules(item.notificationRules, ['users', index, 'notificationRules']);

  for (const { index, item } of itemsOf(root.services)) {
    reference(item.escalationPolicy, policies, 'escalation policy', 'escalationPolicies', ['services', index, 'escalationPolicy']);
    for (const [severity, policy] of Object.entries(asItem(item.escalationBySeverity) ?? {})) {
      const at: Path = ['services', index, 'escalationBySeverity', severity];
      if (!severities.some((s) => s.toLowerCase() === severity.toLowerCase())) {
        problems.push({ at, message: `severity "${severity}" does not exist`, fix: `use one of: ${severities.join(', ')}` });
      }
      reference(policy, policies, 'escalation policy', 'escalationPolicies', at);
    }
  }

  const paging = asItem(root.paging);
  if (paging) {
    reference(paging.defaultEscalationPolicy, policies, 'escalation policy', 'escalationPolicies', ['paging', 'defaultEscalationPolicy']);
    rules(paging.defaultNotificationRules, ['paging', 'defaultNotificationRules']);
    const notifications = asItem(paging.incidentNotifications);
    if (notifications) {
      (Array.isArray(notifications.channels) ? notifications.channels : []).forEach((id, i) =>
        reference(id, channels, 'channel', 'channels', ['paging', 'incidentNotifications', 'channels', i]),
      );
      for (const [severity, ids] of Object.entries(asItem(notifications.bySeverity) ?? {})) {
        if (!severities.some((s) => s.toLowerCase() === severity.toLowerCase())) {
          problems.push({ at: ['paging', 'incidentNotifications', 'bySeverity', severity], message: `severity "${severity}" does not exist`, fix: `use one of: ${severities.join(', ')}` });
        }
        (Array.isArray(ids) ? ids : []).forEach((id, i) =>
          reference(id, channels, 'channel', 'channels', ['paging', 'incidentNotifications', 'bySeverity', severity, i]),
        );
      }
    }
  }
  return problems;
}

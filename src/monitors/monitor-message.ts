// What a monitor group's state change becomes outside the scheduler: a notification and a stored transition.
import type { MonitorDefinition } from '../config/monitors-schema.js';
import type { NotificationMessage } from '../notifications/notification.js';
import { monitorSummary } from './describe-monitor.js';
import type { MonitorStatus } from './monitor-state.js';
import type { MonitorTransition } from './monitor-transition.js';
import type { MonitorGroupState, StoredTransition } from './sqlite-monitor-store.js';

/**
 * The notification of a WARN transition, or of a group still firing (`still`). ALERTs notify through
 * their incident instead.
 */
export function monitorMessage(options: {
  definition: MonitorDefinition;
  state: MonitorGroupState;
  muted: boolean;
  from: MonitorStatus;
  still: boolean;
}): NotificationMessage {
  const { definition, state } = options;
  const where = state.groupId === '' ? '' : ` ${state.groupId}`;
  const runbook =
    definition.runbook === undefined
      ? ''
      : `\n\nRunbook: ${definition.runbook.split('\n').slice(0, 3).join('\n')}`;
  return {
    kind: 'monitor.transition',
    title: `${definition.id} ${options.still ? 'still ' : ''}${state.status}${where}`,
    text: `**${monitorSummary(definition, options.muted).title}**\n${state.reason}${runbook}`,
    severity: `SEV-${definition.priority}`,
    status: state.status,
    monitorId: definition.id,
    fields: {
      monitor: definition.id,
      group: state.groupId,
      value: state.value,
      from: options.from,
      to: state.status,
    },
    dedupeKey: `${definition.id}:${state.groupId}:${state.status}:${state.evaluatedMs}`,
    atMs: state.evaluatedMs,
  };
}

/** A transition as the monitor store keeps it. */
export function storedTransition(monitorId: string, transition: MonitorTransition): StoredTransition {
  return {
    monitorId,
    groupId: transition.groupId,
    group: transition.group,
    atMs: transition.atMs,
    from: transition.from,
    status: transition.to,
    value: transition.value,
    reason: transition.reason,
  };
}

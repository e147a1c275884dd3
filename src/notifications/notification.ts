// A notification as incidents, monitors and budgets hand it to the outbox, and the outbox's contract.

/** What happened; receivers may route on it. */
export type NotificationKind =
  | 'incident.opened'
  | 'incident.updated'
  | 'incident.stable'
  | 'incident.resolved'
  | 'monitor.transition'
  | 'budget.threshold'
  | 'test';

/** One message to deliver to one or more webhook targets. */
export interface NotificationMessage {
  kind: NotificationKind;
  /** One line, e.g. "[SEV-2] p95-latency ALERT provider=openai". */
  title: string;
  /** Markdown body: what, where, the value and the reason, the runbook's first lines. */
  text: string;
  severity?: string | undefined;
  status?: string | undefined;
  /** Link to the incident in the dashboard, when known. */
  url?: string | undefined;
  incidentId?: string | undefined;
  monitorId?: string | undefined;
  /** Extra key/value facts shown as fields (Slack) or sent as they are (JSON). */
  fields: Record<string, string | number | boolean | null>;
  /**
   * Messages with the same dedupe key for the same target are sent once: a second enqueue while the
   * first is pending or was delivered less than the dedupe window ago is dropped.
   */
  dedupeKey: string;
  atMs: number;
}

/** The result of delivering one message to one target, reported once it is final. */
export interface DeliveryReport {
  notificationId: string;
  target: string;
  message: NotificationMessage;
  outcome: 'delivered' | 'failed' | 'rate-limited';
  attempts: number;
  /** HTTP status of the last attempt, when there was an answer. */
  status?: number | undefined;
  error?: string | undefined;
  atMs: number;
}

/** Takes messages for delivery; the implementation persists them before returning. */
export interface Notifier {
  /** Queues `message` for each target id; unknown targets are reported as failed. Returns the ids queued. */
  enqueue(targets: readonly string[], message: NotificationMessage): string[];
}

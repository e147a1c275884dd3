// Keel's error type: a stable code, an HTTP status, retry and failover hints, and the cause.

/** Every error code Keel emits. Listed once in docs/errors.md; never reused for another meaning. */
export const ErrorCodes = {
  invalidJson: 'KEEL_INVALID_JSON',
  invalidRequest: 'KEEL_INVALID_REQUEST',
  bodyTooLarge: 'KEEL_BODY_TOO_LARGE',
  unsupportedMediaType: 'KEEL_UNSUPPORTED_MEDIA_TYPE',
  unknownModel: 'KEEL_UNKNOWN_MODEL',
  routeNotFound: 'KEEL_ROUTE_NOT_FOUND',
  methodNotAllowed: 'KEEL_METHOD_NOT_ALLOWED',
  upstreamBadRequest: 'KEEL_UPSTREAM_BAD_REQUEST',
  upstreamAuth: 'KEEL_UPSTREAM_AUTH',
  upstreamNotFound: 'KEEL_UPSTREAM_NOT_FOUND',
  upstreamRateLimited: 'KEEL_UPSTREAM_RATE_LIMITED',
  upstreamServerError: 'KEEL_UPSTREAM_SERVER_ERROR',
  upstreamOverloaded: 'KEEL_UPSTREAM_OVERLOADED',
  upstreamTimeout: 'KEEL_UPSTREAM_TIMEOUT',
  upstreamConnection: 'KEEL_UPSTREAM_CONNECTION',
  upstreamBadResponse: 'KEEL_UPSTREAM_BAD_RESPONSE',
  streamTtftTimeout: 'KEEL_STREAM_TTFT_TIMEOUT',
  streamIdleTimeout: 'KEEL_STREAM_IDLE_TIMEOUT',
  streamInterrupted: 'KEEL_STREAM_INTERRUPTED',
  circuitOpen: 'KEEL_CIRCUIT_OPEN',
  deadlineExceeded: 'KEEL_DEADLINE_EXCEEDED',
  allTargetsFailed: 'KEEL_ALL_TARGETS_FAILED',
  clientClosed: 'KEEL_CLIENT_CLOSED',
  shuttingDown: 'KEEL_SHUTTING_DOWN',
  adminUnauthorized: 'KEEL_ADMIN_UNAUTHORIZED',
  adminForbidden: 'KEEL_ADMIN_FORBIDDEN',
  invalidApiKey: 'KEEL_INVALID_API_KEY',
  modelNotAllowed: 'KEEL_MODEL_NOT_ALLOWED',
  configInvalid: 'KEEL_CONFIG_INVALID',
  rateLimited: 'KEEL_RATE_LIMITED',
  stateUnavailable: 'KEEL_STATE_UNAVAILABLE',
  tokenLimitExceeded: 'KEEL_TOKEN_LIMIT_EXCEEDED',
  budgetExceeded: 'KEEL_BUDGET_EXCEEDED',
  monitorNotFound: 'KEEL_MONITOR_NOT_FOUND',
  monitorExists: 'KEEL_MONITOR_EXISTS',
  monitorReadOnly: 'KEEL_MONITOR_READ_ONLY',
  incidentNotFound: 'KEEL_INCIDENT_NOT_FOUND',
  incidentConflict: 'KEEL_INCIDENT_CONFLICT',
  uiNotBuilt: 'KEEL_UI_NOT_BUILT',
  probesDisabled: 'KEEL_PROBES_DISABLED',
  internal: 'KEEL_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** The OpenAI error `type` a code maps to at the edge. */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'timeout_error'
  | 'service_unavailable';

export interface KeelErrorOptions {
  code: ErrorCode;
  message: string;
  /** HTTP status the edge answers with. */
  status: number;
  /** A retry of the same target may succeed (408, 429, 5xx, network, timeouts). */
  retryable?: boolean | undefined;
  /** Another target may succeed (retryable errors, plus auth and not-found on this target). */
  failover?: boolean | undefined;
  /** Counts against the target's circuit breaker (the target is unhealthy, not the request). */
  countsAsFailure?: boolean | undefined;
  /** The upstream asked to wait this long before retrying (Retry-After, retry-after-ms). */
  retryAfterMs?: number | undefined;
  /** The request field at fault, for 4xx errors. */
  param?: string | undefined;
  /** Upstream HTTP status, when the error came from a provider's response. */
  upstreamStatus?: number | undefined;
  /** Response headers the client gets with this error (a policy's x-ratelimit-*, say). */
  headers?: Readonly<Record<string, string>> | undefined;
  cause?: unknown;
}

/**
 * The one error type that crosses Keel's layers.
 * @example throw new KeelError({ code: ErrorCodes.unknownModel, status: 404, message: 'model "x" is not configured' })
 */
export class KeelError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly failover: boolean;
  readonly countsAsFailure: boolean;
  readonly retryAfterMs: number | undefined;
  readonly param: string | undefined;
  readonly upstreamStatus: number | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(options: KeelErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeelError';
    this.code = options.code;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.failover = options.failover ?? this.retryable;
    this.countsAsFailure = options.countsAsFailure ?? this.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.param = options.param;
    this.upstreamStatus = options.upstreamStatus;
    this.headers = options.headers;
  }
}

/** A client-side (4xx) error with the field at fault. */
export function invalidRequest(message: string, param?: string): KeelError {
  return new KeelError({ code: ErrorCodes.invalidRequest, status: 400, message, param });
}

/** Wraps anything thrown into a KeelError, keeping KeelErrors as they are. */
export function toKeelError(error: unknown): KeelError {
  if (error instanceof KeelError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new KeelError({ code: ErrorCodes.internal, status: 500, message, cause: error });
}

/** The OpenAI error type for an HTTP status. */
export function openAIErrorType(status: number): OpenAIErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 504) return 'timeout_error';
  if (status === 503) return 'service_unavailable';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

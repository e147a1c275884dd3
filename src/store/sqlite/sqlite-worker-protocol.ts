// The messages between the SQLite worker thread and the store that talks to it, and how errors cross.
import { KeelError, type ErrorCode } from '../../spec/errors.js';
import type { TelemetryStore } from '../store.js';

/** The store methods the worker runs; each takes one argument. */
export type StoreMethod =
  'insert' | 'stats' | 'requests' | 'timeseries' | 'experimentReport' | 'prune' | 'close';

export interface StoreCall {
  id: number;
  method: StoreMethod;
  argument: Parameters<TelemetryStore[StoreMethod]>[0];
}

/** An error as it crosses the thread boundary: structured clone keeps neither class nor own fields. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string | undefined;
  /** Present for a KeelError (a bad query, say), which is rebuilt as one. */
  keel?: { code: ErrorCode; status: number; param: string | undefined } | undefined;
  /** SQLite's code (SQLITE_BUSY, SQLITE_FULL...), kept for logs. */
  code?: string | undefined;
}

export type StoreReply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

/** Sent once, first: the store opened (or could not). */
export type WorkerReady = { ready: true } | { ready: false; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof KeelError) {
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      keel: { code: error.code, status: error.status, param: error.param },
    };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      code: typeof code === 'string' ? code : undefined,
    };
  }
  return { name: 'Error', message: String(error) };
}

export function deserializeError(serialized: SerializedError): Error {
  if (serialized.keel !== undefined) {
    const { code, status, param } = serialized.keel;
    return new KeelError({ code, status, param, message: serialized.message });
  }
  const error = new Error(serialized.message) as Error & { code?: string };
  error.name = serialized.name;
  if (serialized.code !== undefined) error.code = serialized.code;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}

// The internal contract: import types and errors from here. This folder imports nothing.
export * from './chat.js';
export * from './clock.js';
export * from './errors.js';

// Incidents: the pure lifecycle, its notifications, the SQLite store, the service and the postmortem draft.
export * from './incident.js';
export * from './incident-lifecycle.js';
export * from './incident-notification.js';
export * from './incident-service.js';
export * from './render-postmortem.js';
export * from './sqlite-incident-store.js';
export * from './summarize-graph.js';

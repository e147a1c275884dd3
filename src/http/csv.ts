// CSV cells for the /api exports (requests, probe measurements): RFC 4180 quoting, no spreadsheet formulas.

/**
 * One CSV cell. Arrays are joined with " > " (a failover path), objects are JSON, null and
 * undefined are empty; cells that a spreadsheet would run as a formula get a leading quote.
 * @example csvCell('a,b') // '"a,b"'
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : Array.isArray(value)
          ? value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(' > ')
          : JSON.stringify(value);
  // Quote always-dangerous characters, and neutralise spreadsheet formulas (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

import { describe, expect, it } from 'vitest';
import { parseCacheControl } from './parse-cache-control.js';

describe('parseCacheControl', () => {
  it.each([
    [undefined, { noCache: false, noStore: false }],
    ['', { noCache: false, noStore: false }],
    ['no-cache', { noCache: true, noStore: false }],
    ['No-Store', { noCache: false, noStore: true }],
    ['max-age=60', { noCache: false, noStore: false, maxAgeSeconds: 60 }],
    [' no-cache , max-age = 0 ', { noCache: true, noStore: false, maxAgeSeconds: 0 }],
    ['max-age="30"', { noCache: false, noStore: false, maxAgeSeconds: 30 }],
    ['max-age=120, max-age=10', { noCache: false, noStore: false, maxAgeSeconds: 10 }],
  ])('reads %j', (header, directives) => {
    expect(parseCacheControl(header)).toEqual(directives);
  });

  it.each(['max-age=-1', 'max-age=soon', 'max-age=1.5', 'max-age', 'private, must-revalidate'])(
    'ignores what it does not know or cannot read: %j',
    (header) => {
      expect(parseCacheControl(header)).toEqual({ noCache: false, noStore: false });
    },
  );
});

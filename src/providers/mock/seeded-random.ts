// A small seeded PRNG (mulberry32) and the distributions the simulator draws from.

export type Random = () => number;

/** mulberry32: fast, 32-bit state, good enough for simulation; same seed, same sequence. */
export function createSeededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal draw (Box-Muller). */
export function normal(random: Random): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const z99 = 2.326_347_874; // the standard normal's 99th percentile

/**
 * A log-normal draw with the given median and 99th percentile, the usual shape of API latency.
 * Equal p50 and p99 give a constant.
 */
export function logNormalMs(random: Random, p50: number, p99: number): number {
  if (p50 <= 0) return 0;
  if (p99 <= p50) return p50;
  const sigma = Math.log(p99 / p50) / z99;
  return p50 * Math.exp(sigma * normal(random));
}

// Per-route running baseline of answer lengths, to tell an answer far shorter or longer than usual.

/** How an answer's length compares with its route's usual ones. */
export type LengthVerdict = 'too_short' | 'too_long' | 'usual';

export interface ResponseLengthBaselineOptions {
  /** Routes kept; the least recently seen is forgotten past this. Default 1,000. */
  maxRoutes?: number | undefined;
  /** Weight of each new answer in the running mean and variance. Default 0.05 (about the last 20-40 answers). */
  alpha?: number | undefined;
  /** Answers a route needs before its lengths are judged. Default 30. */
  minSamples?: number | undefined;
  /** How many standard deviations of log length from the mean count as unusual. Default 3. */
  deviations?: number | undefined;
  /**
   * Floor on the standard deviation of log length, so a route whose answers are all alike does not
   * flag small changes. Default 0.35: with 3 deviations, an answer must be about 2.9x shorter or
   * longer than usual at the least.
   */
  minStandardDeviation?: number | undefined;
}

interface RouteBaseline {
  /** Answers seen. */
  samples: number;
  /** Exponentially weighted mean of ln(1 + chars). */
  mean: number;
  /** Exponentially weighted variance of ln(1 + chars). */
  variance: number;
}

/**
 * Exponentially weighted mean and variance of ln(1 + response characters) per route, in memory.
 * Lengths are compared on a log scale because answer lengths are roughly log-normal: "4x shorter"
 * and "4x longer" are the same distance. `assess` judges an answer against the baseline as it was,
 * then adds it, so the baseline follows a route whose answers change for good.
 *
 * Bounded: at most `maxRoutes` routes (least recently seen forgotten first), a few numbers each.
 *
 * @example
 * const baseline = new ResponseLengthBaseline();
 * baseline.assess({ route: 'smart', responseChars: 12 }); // 'usual' while warming up
 */
export class ResponseLengthBaseline {
  readonly #routes = new Map<string, RouteBaseline>();
  readonly #maxRoutes: number;
  readonly #alpha: number;
  readonly #minSamples: number;
  readonly #deviations: number;
  readonly #minStandardDeviation: number;

  constructor(options: ResponseLengthBaselineOptions = {}) {
    this.#maxRoutes = Math.max(1, Math.floor(options.maxRoutes ?? 1_000));
    this.#alpha = options.alpha ?? 0.05;
    this.#minSamples = options.minSamples ?? 30;
    this.#deviations = options.deviations ?? 3;
    this.#minStandardDeviation = options.minStandardDeviation ?? 0.35;
    if (!(this.#alpha > 0 && this.#alpha <= 1)) {
      throw new RangeError(`ResponseLengthBaseline alpha must be in (0, 1], got ${this.#alpha}`);
    }
  }

  /** Routes currently tracked. */
  get size(): number {
    return this.#routes.size;
  }

  /** Judges `responseChars` against the route's baseline (usual while it warms up), then adds it. */
  assess(sample: { route: string; responseChars: number }): LengthVerdict {
    const value = Math.log1p(Math.max(0, sample.responseChars));
    const baseline = this.#touch(sample.route);
    let verdict: LengthVerdict = 'usual';
    if (baseline.samples >= this.#minSamples) {
      const deviation = Math.max(Math.sqrt(baseline.variance), this.#minStandardDeviation);
      if (value < baseline.mean - this.#deviations * deviation) verdict = 'too_short';
      else if (value > baseline.mean + this.#deviations * deviation) verdict = 'too_long';
    }
    this.#add(baseline, value);
    return verdict;
  }

  #add(baseline: RouteBaseline, value: number): void {
    baseline.samples++;
    if (baseline.samples === 1) {
      baseline.mean = value;
      baseline.variance = 0;
      return;
    }
    // While fewer than 1/alpha answers are in, a plain running mean warms up faster than the EWMA.
    const weight = Math.max(this.#alpha, 1 / baseline.samples);
    const difference = value - baseline.mean;
    const increment = weight * difference;
    baseline.mean += increment;
    // West's exponentially weighted variance update.
    baseline.variance = (1 - weight) * (baseline.variance + difference * increment);
  }

  /** The route's baseline, moved to the most recently seen end (Map keeps insertion order). */
  #touch(route: string): RouteBaseline {
    let baseline = this.#routes.get(route);
    if (baseline !== undefined) {
      this.#routes.delete(route);
    } else {
      baseline = { samples: 0, mean: 0, variance: 0 };
      if (this.#routes.size >= this.#maxRoutes) {
        const oldest = this.#routes.keys().next();
        if (oldest.done !== true) this.#routes.delete(oldest.value);
      }
    }
    this.#routes.set(route, baseline);
    return baseline;
  }
}

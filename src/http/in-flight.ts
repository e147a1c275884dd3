// Tracks requests in progress so shutdown can wait for them, then cut the stragglers.

export class InFlight {
  readonly #controllers = new Set<AbortController>();
  #idle: (() => void) | undefined;

  get size(): number {
    return this.#controllers.size;
  }

  add(): AbortController {
    const controller = new AbortController();
    this.#controllers.add(controller);
    return controller;
  }

  remove(controller: AbortController): void {
    this.#controllers.delete(controller);
    if (this.#controllers.size === 0) this.#idle?.();
  }

  /** Resolves when nothing is in flight, or after `timeoutMs`; returns whether it drained. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.#controllers.size === 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#idle = undefined;
        resolve(false);
      }, timeoutMs);
      this.#idle = () => {
        clearTimeout(timer);
        this.#idle = undefined;
        resolve(true);
      };
    });
  }

  abortAll(reason: unknown): void {
    for (const controller of this.#controllers) controller.abort(reason);
  }
}

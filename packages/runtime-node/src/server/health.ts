/** Something else readiness waits for, e.g. a trigger adapter (connected and consuming). */
export interface ReadinessCheck {
  readonly name: string;
  isReady(): boolean;
}

/**
 * Readiness state: `starting` until init is done, `ready`, then `draining` from the moment shutdown
 * starts. While the runtime is `ready` but a check (a trigger adapter) is not, the state reads
 * `waiting-for-triggers` and readiness fails.
 */
export class Health {
  #state: 'starting' | 'ready' | 'draining' = 'starting';
  /** The trigger adapters (set once they have started). */
  checks: readonly ReadinessCheck[] = [];

  get state(): 'starting' | 'ready' | 'draining' | 'waiting-for-triggers' {
    if (this.#state === 'ready' && !this.#checksReady()) return 'waiting-for-triggers';
    return this.#state;
  }

  set state(value: 'starting' | 'ready' | 'draining') {
    this.#state = value;
  }

  get ready(): boolean {
    return this.#state === 'ready' && this.#checksReady();
  }

  /** The names of the checks that are not ready. */
  get waitingFor(): string[] {
    return this.checks.filter((c) => !c.isReady()).map((c) => c.name);
  }

  #checksReady(): boolean {
    for (const c of this.checks) if (!c.isReady()) return false;
    return true;
  }
}

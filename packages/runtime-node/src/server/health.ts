/** Readiness state: `starting` until init is done, `ready`, then `draining` from the moment shutdown starts. */
export class Health {
  state: 'starting' | 'ready' | 'draining' = 'starting';

  get ready(): boolean {
    return this.state === 'ready';
  }
}

import type { NatsConnection } from '@nats-io/transport-node';
import type { TriggerAdapter, TriggerEnvironment } from '../../contracts.js';
import type { SharedNatsConnection } from './connection.js';

/** How long start() waits for the server before it returns and keeps trying in the background. */
const START_WAIT_MS = 5000;
/** Set-up retries once the server was unreachable at start: 1 s doubling to 30 s. */
const SETUP_RETRY_BASE_MS = 1000;
const SETUP_RETRY_MAX_MS = 30_000;

/**
 * What both NATS adapters share: holding the shared connection, and starting.
 * start() connects and sets up (subscribe; for JetStream also the stream and durable consumer). An
 * error while the server is reachable (a stream that does not exist, a consumer of another kind, bad
 * credentials) rejects start(), naming what was wrong. A server that is not reachable is not an
 * error: after START_WAIT_MS start() returns, the adapter reports not ready, and the set-up
 * continues in the background, retried with backoff until it succeeds or the adapter stops.
 */
export abstract class NatsAdapterBase implements TriggerAdapter {
  abstract readonly name: string;
  protected stopping = false;
  /** Set up and consuming (until stop). */
  protected active = false;
  private holding = false;
  private wakeRetry: (() => void) | undefined;

  constructor(
    protected readonly connection: SharedNatsConnection,
    protected readonly env: TriggerEnvironment,
  ) {}

  /** Subscribe / create and start consuming. Throws for a bad setting the server told us about. */
  protected abstract setup(nc: NatsConnection): Promise<void>;
  /** Stop receiving, wait for in-flight work and its acks. Called once, only when setup succeeded. */
  protected abstract shutdown(): Promise<void>;
  /** Ready beyond being connected (e.g. JetStream: fetching). */
  protected abstract consuming(): boolean;

  isReady(): boolean {
    return this.active && !this.stopping && this.connection.connected && this.consuming();
  }

  async start(): Promise<void> {
    const first = this.attempt();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'waiting'>((resolve) => {
      timer = setTimeout(() => resolve('waiting'), START_WAIT_MS);
    });
    const result = await Promise.race([first.then(() => 'ok' as const, (err: unknown) => ({ err })), waited]);
    clearTimeout(timer);
    if (result === 'ok') return;
    if (result !== 'waiting') throw result.err;
    this.env.log.warn({ trigger: this.name }, 'NATS: server not reachable yet; the trigger is not ready and keeps trying');
    void first.then(
      () => undefined,
      (err: unknown) => this.retrySetup(err),
    );
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wakeRetry?.();
    if (this.active) await this.shutdown();
    this.active = false;
    if (this.holding) {
      this.holding = false;
      await this.connection.release();
    }
  }

  private async attempt(): Promise<void> {
    this.holding = true;
    let nc: NatsConnection;
    try {
      nc = await this.connection.acquire();
    } catch (err) {
      this.holding = false;
      throw err;
    }
    if (this.stopping) return; // stop() releases
    try {
      await this.setup(nc);
      this.active = true;
      if (this.stopping) await this.shutdown();
    } catch (err) {
      if (this.holding) {
        this.holding = false;
        await this.connection.release();
      }
      throw err;
    }
  }

  private async retrySetup(err: unknown): Promise<void> {
    for (let n = 0; !this.stopping; n++) {
      const delay = Math.min(SETUP_RETRY_MAX_MS, SETUP_RETRY_BASE_MS * 2 ** n);
      this.env.log.error({ err, trigger: this.name, retryInMs: delay }, 'NATS: trigger set-up failed; retrying');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wakeRetry = () => {
          clearTimeout(t);
          resolve();
        };
      });
      if (this.stopping) return;
      try {
        await this.attempt();
        this.env.log.info({ trigger: this.name }, 'NATS: trigger set up');
        return;
      } catch (e) {
        err = e;
      }
    }
  }
}

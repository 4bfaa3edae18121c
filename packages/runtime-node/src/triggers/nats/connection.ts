import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '@fnkit/sdk';
import type { NatsConfig } from './nats-settings.js';

/** Reconnect backoff: 250 ms doubling to 4 s, plus up to 25% jitter; reset once connected again. */
const RECONNECT_BASE_MS = 250;
const RECONNECT_MAX_MS = 4000;
/** How long one connection handshake may take. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * One NATS connection shared by all of a process's NATS adapters: opened by the first `acquire()`,
 * drained and closed by the last `release()`. It keeps trying to connect (the first time too: a
 * server that is down is waited for, not an error) and reconnects with backoff, never giving up;
 * `connected` is false while it is disconnected (the adapters' isReady() reads it).
 */
export class SharedNatsConnection {
  private nc: NatsConnection | undefined;
  private opening: Promise<NatsConnection> | undefined;
  private users = 0;
  private attempts = 0;
  connected = false;

  constructor(
    private readonly config: NatsConfig,
    private readonly log: Logger,
  ) {}

  async acquire(): Promise<NatsConnection> {
    this.users++;
    try {
      if (this.nc !== undefined) return this.nc;
      this.opening ??= this.open();
      return await this.opening;
    } catch (err) {
      if (!(err instanceof ConnectionAbandoned)) this.users--; // abandoned: the users already let go
      this.opening = undefined;
      throw err;
    }
  }

  /** The last user drains the connection: pending publishes and acks are flushed before it closes. */
  async release(): Promise<void> {
    this.users--;
    if (this.users > 0 || this.nc === undefined) return; // still opening: open() closes it when it lands
    const nc = this.nc;
    this.nc = undefined;
    this.opening = undefined;
    this.connected = false;
    if (nc.isClosed()) return;
    try {
      await nc.drain();
    } catch (err) {
      this.log.warn({ err }, 'NATS: drain failed; closing');
      await nc.close().catch(() => undefined);
    }
  }

  private async open(): Promise<NatsConnection> {
    const servers = this.config.servers.join(', ');
    let nc: NatsConnection;
    try {
      nc = await connect(this.options());
    } catch (err) {
      throw new Error(`NATS: cannot connect to ${servers}: ${(err as Error).message}; check --nats-url (NATS_URL) and that the server is running`, { cause: err });
    }
    if (this.users <= 0) {
      // Everyone let go while the server was being waited for.
      this.opening = undefined;
      await nc.close().catch(() => undefined);
      throw new ConnectionAbandoned();
    }
    this.nc = nc;
    this.connected = true;
    this.log.info({ server: nc.getServer() }, 'NATS: connected');
    void this.watch(nc);
    return nc;
  }

  private options(): ConnectionOptions {
    const c = this.config;
    const opts: ConnectionOptions = {
      servers: c.servers,
      name: 'fnkit',
      maxReconnectAttempts: -1,
      waitOnFirstConnect: true,
      timeout: HANDSHAKE_TIMEOUT_MS,
      reconnectDelayHandler: () => {
        const base = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** this.attempts++);
        return base + Math.floor(Math.random() * base * 0.25);
      },
    };
    if (c.token !== undefined) opts.token = c.token;
    if (c.user !== undefined) opts.user = c.user;
    if (c.password !== undefined) opts.pass = c.password;
    if (c.credsFile !== undefined) {
      let creds: Uint8Array;
      try {
        creds = readFileSync(c.credsFile);
      } catch (err) {
        throw new Error(`NATS: cannot read the credentials file ${c.credsFile} (--nats-creds / NATS_CREDS): ${(err as Error).message}`, { cause: err });
      }
      opts.authenticator = credsAuthenticator(creds);
    }
    return opts;
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.connected = false;
          this.log.warn({ server: s.server }, 'NATS: disconnected; reconnecting');
          break;
        case 'reconnect':
          this.connected = true;
          this.attempts = 0;
          this.log.info({ server: s.server }, 'NATS: reconnected');
          break;
        case 'error':
          this.log.error({ err: s.error }, 'NATS: connection error');
          break;
        case 'slowConsumer':
          this.log.warn({ subject: s.sub.getSubject() }, 'NATS: slow consumer: messages arrive faster than the handler takes them');
          break;
        case 'close':
          this.connected = false;
          break;
        default:
          break;
      }
    }
  }
}

/** The adapters stopped while the server was still being waited for. */
export class ConnectionAbandoned extends Error {
  constructor() {
    super('NATS: the trigger stopped before the server could be reached');
    this.name = 'ConnectionAbandoned';
  }
}

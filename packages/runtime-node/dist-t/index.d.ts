import { FnEvent, Outcome, Logger } from '@fnkit/sdk';
import { Counter, Gauge, Registry } from 'prom-client';

/** What happened to one message of a trigger; the `event` label of fnkit_trigger_messages_total. */
type TriggerMessageEvent = 'received' | 'succeeded' | 'retried' | 'dead_lettered' | 'skipped';
/**
 * Per-trigger metrics, shared by every adapter (cron, NATS, Kafka; in-process and dispatcher mode).
 * `trigger` is the adapter's name (e.g. `kafka:orders`). Lag is set where the broker tells it.
 */
declare class TriggerMetrics {
    readonly messages: Counter<'trigger' | 'event'>;
    readonly lag: Gauge<'trigger' | 'partition'>;
    constructor(registry: Registry);
    count(trigger: string, event: TriggerMessageEvent, n?: number): void;
    setLag(trigger: string, value: number, partition?: string): void;
}

/**
 * The seams between the parts of fn-run. Adapters (HTTP, cron, NATS, Kafka) know their transport and
 * nothing of handlers; the invoker knows handlers and nothing of transports. Every delivery goes
 * through `Invoker.invoke`, in-process or (dispatcher mode) over HTTP to a function elsewhere.
 */
interface InvokeRequest {
    /**
     * What to do when the concurrency limit is reached:
     * - `queue` (HTTP): wait in the bounded queue; when that is full, resolve at once with a `rejected` outcome (503).
     * - `wait` (triggers): wait for a slot however long it takes; the adapter's own in-flight bound is its back-pressure.
     */
    admission?: 'queue' | 'wait';
    /** A shorter timeout for this one invocation (never longer than FUNC_TIMEOUT). */
    timeoutMs?: number;
}
interface Invoker {
    invoke(event: FnEvent, request?: InvokeRequest): Promise<Outcome>;
}
/** A trigger adapter: turns messages of one source into CloudEvents and hands them to an Invoker. */
interface TriggerAdapter {
    /** e.g. `kafka:orders`, `nats:events.todo.newitem`, `cron:*\/10 * * * * *`. */
    readonly name: string;
    /** Connects and starts consuming. Rejects with a clear error for bad settings; reconnects by itself once started. */
    start(): Promise<void>;
    /** Stops fetching, waits for in-flight work, commits/acks what finished, disconnects. */
    stop(): Promise<void>;
    /** For readiness: connected and consuming. */
    isReady(): boolean;
}
/** What every adapter is given. */
interface TriggerEnvironment {
    invoker: Invoker;
    log: Logger;
    registry: Registry;
    metrics: TriggerMetrics;
    /** Aborts when the process starts shutting down (adapters stop fetching). */
    shutdownSignal: AbortSignal;
}
/**
 * Delivery semantics shared by every trigger (in-process and dispatcher mode alike):
 * success is a result with a status below 400. Failures are retried when retrying can help:
 * timeouts, overload, 5xx, and 404/408/409/429 (as Knative's data plane does); other 4xx (a bad
 * event, a typed BadRequestError) are final and go straight to the dead-letter target.
 */
declare function isSuccess(outcome: Outcome): boolean;
declare function isRetryable(outcome: Outcome): boolean;
/** A short human-readable reason for logs and dead-letter headers. */
declare function describeFailure(outcome: Outcome): string;

/**
 * One way to read configuration: a list of settings, each with a flag and environment names,
 * read once from `fn-run` flags and the environment (flags win), converted and validated, with an
 * error that names the bad flag or variable and says what was expected.
 *
 * Each command (serve, call, trigger, manifest) declares its settings; modules contribute theirs
 * (e.g. the NATS trigger's `natsUrl`) as SettingSpec arrays.
 */
type SettingType = 'string' | 'int' | 'number' | 'boolean' | 'duration' | 'size' | 'list' | 'enum';
interface SettingSpec {
    /** The key in the parsed result (camelCase). */
    key: string;
    /** Long flag without dashes, e.g. `port` for `--port`. */
    flag?: string;
    /** A one-letter alias, e.g. `p`. */
    short?: string;
    /** Environment variable names, first match wins (Kubeless names first). */
    env?: string[];
    type: SettingType;
    /** For `enum`. */
    values?: readonly string[];
    /** For `list` flags: the flag may repeat; env values are comma-separated. */
    default?: unknown;
    /** For `list`: what separates items in one value (default `,`; e.g. `\n` for cron expressions, which contain commas). */
    separator?: string;
    min?: number;
    max?: number;
    /** For `duration` values given as a bare number: the unit (Kubeless FUNC_TIMEOUT is seconds). */
    bareUnit?: 'ms' | 's';
    description: string;
    /** Hide from --help. */
    hidden?: boolean;
}
declare class ConfigError extends Error {
    constructor(message: string);
}
interface ParsedSettings {
    values: Record<string, unknown>;
    positionals: string[];
    /** Where each value came from: `--flag`, `ENV_NAME` or `default`. */
    sources: Record<string, string>;
}
/** Parses argv (without node and script) and env against the specs. Throws ConfigError. */
declare function parseSettings(specs: readonly SettingSpec[], argv: readonly string[], env: NodeJS.ProcessEnv): ParsedSettings;
/** `500ms`, `3s`, `2m`, `1h`, or a bare number in the spec's unit. Returns milliseconds. */
declare function parseDuration(v: string, bareUnit: 'ms' | 's', bad?: (w: string) => Error): number;
/** `6mb`, `512kb`, `1MiB`, `128Mi` (Kubernetes quantities), or bytes. Returns bytes. */
declare function parseSize(v: string, bad?: (w: string) => Error): number;
/** Help text for a command's settings. */
declare function formatHelp(specs: readonly SettingSpec[]): string;

export { ConfigError, type InvokeRequest, type Invoker, type ParsedSettings, type SettingSpec, type SettingType, type TriggerAdapter, type TriggerEnvironment, describeFailure, formatHelp, isRetryable, isSuccess, parseDuration, parseSettings, parseSize };

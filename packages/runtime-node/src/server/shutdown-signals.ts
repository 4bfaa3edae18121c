import type { Logger } from '@fnkit/sdk';

/**
 * SIGTERM and SIGINT as Kubernetes and a terminal send them: the first starts the graceful shutdown,
 * a second one exits at once (130 for SIGINT, 143 for SIGTERM, as a shell reports them). The same for
 * `fn-run serve` and for a `fn-run trigger` dispatcher. Returns the function that removes the handlers.
 */
export function onShutdownSignals(log: Logger & { flush?: () => void }, shutdown: (signal: NodeJS.Signals) => unknown): () => void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      log.flush?.();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    void shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}

/** `http://host:port` of a listening server (IPv6 hosts in brackets). */
export function listenAddress(a: ReturnType<import('node:net').Server['address']>): string {
  return typeof a === 'object' && a !== null ? `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : String(a);
}

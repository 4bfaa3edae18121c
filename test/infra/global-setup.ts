// Starts the brokers the integration tests use (NATS with JetStream, Kafka) when none is running.
// Filled in by the trigger work; the HTTP integration tests need nothing from here.
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}

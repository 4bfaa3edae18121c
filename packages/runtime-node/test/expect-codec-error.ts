import { expect } from 'vitest';
import { CodecError } from '../src/cloudevents/codec-error.js';

/** Runs `fn`, expects it to throw a CodecError (the HTTP, Kafka and NATS decoders' error) and returns it. */
export function codecError(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return err as CodecError;
  }
  throw new Error('expected a CodecError, nothing was thrown');
}

/** A function module that cannot be loaded: the message is one line naming the file and what went wrong. */
export class LoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LoadError';
  }
}

/**
 * A request that is not a valid CloudEvent (400), or one in a CloudEvents format fnkit does not
 * read (415). The message names the bad attribute or header and is safe to send back to the caller.
 */
export class CodecError extends Error {
  readonly status: 400 | 415;
  /** The CloudEvent attribute that was wrong, when one was. */
  readonly attribute?: string;
  constructor(status: 400 | 415, message: string, attribute?: string) {
    super(message);
    this.name = 'CodecError';
    this.status = status;
    if (attribute !== undefined) this.attribute = attribute;
  }
}

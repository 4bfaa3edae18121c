export type {
  CloudEventAttributes,
  CronTrigger,
  ErrorBody,
  FnContext,
  FnEvent,
  FunctionModule,
  Handler,
  HeaderMap,
  HttpTrigger,
  InvokeTrigger,
  KafkaTrigger,
  Logger,
  NatsTrigger,
  NormalizedResponse,
  Outcome,
  ResponseKind,
  TriggerDetails,
  TriggerKind,
} from './types.js';
export {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  HttpError,
  NotFoundError,
  ReplacedError,
  ClientClosedError,
  ServiceUnavailableError,
  ShutdownError,
  TimeoutError,
  TooManyRequestsError,
  UnauthorizedError,
  UnprocessableEntityError,
  defaultMessage,
  httpError,
  statusOfError,
} from './errors.js';
export { json, redirect, response, text, isExplicitResponse, isLambdaStyleResponse, isJsonEssence, isJsonMediaType, mediaTypeEssence, normalizeResult, readResponseBody, ResultError } from './response.js';
export type { ExplicitResponse, ResponseInit } from './response.js';
export {
  CloudEventValidationError,
  LEGACY,
  RESERVED_NAMES,
  SPEC_VERSION,
  blankEvent,
  createEvent,
  isCoreOrData,
  isRfc3339,
  looksLikeCloudEvent,
  validateAttributes,
  validateExtension,
} from './cloudevent.js';
export type { EventInit, LegacyAliases } from './cloudevent.js';
export { runInvocation, startInvocation, errorOutcome, timeoutOutcome, cancelledOutcome, cancellationText, isCancellation } from './invocation.js';
export type { InvocationSettings, InvocationOverrides } from './invocation.js';
export { defineFunction, defineLifecycle } from './define.js';
export { invoke } from './invoke.js';
export type { InvokeInput, InvokeOptions, InvokeResult, LogRecord } from './invoke.js';
export { pickHandler, describeExports } from './handler-export.js';
export type { HandlerPick } from './handler-export.js';

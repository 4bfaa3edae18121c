export { CodecError } from './codec-error.js';
export { decodeHttpRequest, HTTP_REQUEST_EVENT_TYPE } from './http-decode.js';
export type { DecodedRequest, DecodeMode, DecodeOptions, HttpRequestInput } from './http-decode.js';
export { encodeBinaryHeaders } from './http-encode.js';
export { decodeHeaderValue, encodeHeaderValue, unquoteHeaderValue } from './percent.js';
export { decodeBody, decodeKubelessBody } from './body.js';
export { invalid, isObject, jsonKind, parseStructuredJson, structuredAttributes, upgradeBinaryV03 } from './structured.js';
export { isJsonEssence, mediaTypeEssence, startsWithIgnoreCase } from './media-type.js';

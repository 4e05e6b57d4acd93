/**
 * The wire format: one stream entry = flat fields, readable from redis-cli and any language.
 *   data     the payload (JSON unless a serializer says otherwise)   required
 *   id       message id: the idempotency key if given, else a UUID   required
 *   ts       publish time, ms since epoch                            required
 *   headers  JSON object of string headers                           optional
 *   metadata JSON object of strings: Nest packet metadata            optional
 *   replyTo, correlationId                                           request-response only
 *   pkey     the partition key (`setPartitionKey`)                   optional
 * Fields written by other programs are kept (and copied to dead letters) but ignored.
 */
import { randomUUID } from 'node:crypto';
import { HEADER_IDEMPOTENCY_KEY } from './constants.js';
import { DecodeError, PayloadTooLargeError, SerializationError } from './errors/index.js';

export type Headers = Record<string, string>;
/** Out-of-band strings a Nest client's dispatch hook attaches to a packet (trace ids, tenant). */
export type PacketMetadata = Record<string, string>;

export interface Serializer {
  serialize(value: unknown): string;
  deserialize(raw: string): unknown;
}

export const jsonSerializer: Serializer = {
  serialize(value) {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`a value of type ${typeof value} has no JSON form`);
    return text;
  },
  deserialize: (raw) => JSON.parse(raw),
};

export interface OutgoingMessage {
  data: unknown;
  /** Becomes the message id and switches on producer- and consumer-side dedupe. */
  idempotencyKey?: string;
  headers?: Headers;
  metadata?: PacketMetadata;
  replyTo?: string;
  correlationId?: string;
  /** Routes the message to a partition; ordered consumers keep the order of messages with the same key. */
  partitionKey?: string;
}

export interface DecodedEnvelope {
  data: unknown;
  messageId: string;
  timestamp: number;
  headers: Headers | undefined;
  /** The producer's idempotency key, when one was given. */
  idempotencyKey: string | undefined;
  replyTo: string | undefined;
  correlationId: string | undefined;
  /** The producer's partition key (field `pkey`), when one was given. */
  partitionKey: string | undefined;
}

/** Encodes a message to `[field, value, ...]` for XADD. Throws SerializationError. */
export function encodeEnvelope(stream: string, message: OutgoingMessage, serializer: Serializer = jsonSerializer, now = Date.now()): string[] {
  let data: string;
  try {
    data = serializer.serialize(message.data);
  } catch (error) {
    throw new SerializationError(stream, error);
  }
  const key = message.idempotencyKey;
  const fields = ['data', data, 'id', key ?? randomUUID(), 'ts', String(now)];
  let headers = message.headers;
  if (key !== undefined) headers = { ...headers, [HEADER_IDEMPOTENCY_KEY]: key };
  if (headers && Object.keys(headers).length > 0) {
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string') {
        throw new SerializationError(stream, new TypeError(`header "${name}" must be a string, got ${typeof value}`));
      }
    }
    fields.push('headers', JSON.stringify(headers));
  }
  if (message.metadata !== undefined) fields.push('metadata', encodeMetadata(stream, message.metadata));
  if (message.replyTo !== undefined) fields.push('replyTo', message.replyTo);
  if (message.correlationId !== undefined) fields.push('correlationId', message.correlationId);
  if (message.partitionKey !== undefined) fields.push('pkey', message.partitionKey);
  return fields;
}

/**
 * Decodes the flat `[field, value, ...]` array XREADGROUP returns. Throws DecodeError, or
 * PayloadTooLargeError (before parsing anything) for an entry over `maxPayloadBytes`.
 */
export function decodeEnvelope(
  entryId: string,
  fields: readonly string[],
  serializer: Serializer = jsonSerializer,
  maxPayloadBytes = Infinity,
  stream = '',
): DecodedEnvelope {
  const oversize = payloadBytesOver(fields, maxPayloadBytes);
  if (oversize !== undefined) throw new PayloadTooLargeError(stream, oversize, maxPayloadBytes, entryId);
  let rawData: string | undefined;
  let messageId: string | undefined;
  let ts: string | undefined;
  let rawHeaders: string | undefined;
  let replyTo: string | undefined;
  let correlationId: string | undefined;
  let partitionKey: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1];
    switch (fields[i]) {
      case 'data': rawData = value; break;
      case 'id': messageId = value; break;
      case 'ts': ts = value; break;
      case 'headers': rawHeaders = value; break;
      case 'replyTo': replyTo = value; break;
      case 'correlationId': correlationId = value; break;
      case 'pkey': partitionKey = value; break;
    }
  }
  if (rawData === undefined) throw new DecodeError(entryId, 'it has no `data` field (was it written by another program?)');
  let data: unknown;
  try {
    data = serializer.deserialize(rawData);
  } catch (error) {
    throw new DecodeError(entryId, `field \`data\` is not valid: ${(error as Error).message}`);
  }
  let headers: Headers | undefined;
  if (rawHeaders !== undefined) headers = messageId !== undefined && isKeyOnlyHeaders(rawHeaders, messageId) ? { [HEADER_IDEMPOTENCY_KEY]: messageId } : parseHeaders(entryId, rawHeaders);
  const timestamp = ts === undefined ? entryTimestamp(entryId) : Number(ts);
  return {
    data,
    messageId: messageId ?? entryId,
    timestamp: Number.isFinite(timestamp) ? timestamp : entryTimestamp(entryId),
    headers,
    idempotencyKey: headers?.[HEADER_IDEMPOTENCY_KEY],
    replyTo,
    correlationId,
    partitionKey,
  };
}

const KEY_ONLY_PREFIX = `{"${HEADER_IDEMPOTENCY_KEY}":"`;
/** Characters JSON.stringify escapes in a string: a key holding one is never written verbatim. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/**
 * Whether `raw` is the `headers` field a producer writes for a message whose only header is
 * its idempotency key (which is also its `id`): `{"idempotency-key":"<id>"}`. Recognised by
 * comparison, so the common keyed entry skips a JSON.parse and its checks (~0.5 µs per keyed
 * message on the drain), without building the string to compare with; anything else is parsed.
 */
function isKeyOnlyHeaders(raw: string, messageId: string): boolean {
  return (
    raw.length === KEY_ONLY_PREFIX.length + messageId.length + 2 &&
    raw.startsWith(KEY_ONLY_PREFIX) &&
    raw.startsWith(messageId, KEY_ONLY_PREFIX.length) &&
    raw.endsWith('"}') &&
    !NEEDS_ESCAPE.test(messageId)
  );
}

function parseHeaders(entryId: string, raw: string): Headers {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new DecodeError(entryId, `field \`headers\` is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DecodeError(entryId, 'field `headers` must be a JSON object of strings');
  }
  for (const value of Object.values(parsed)) {
    if (typeof value !== 'string') throw new DecodeError(entryId, 'field `headers` must be a JSON object of strings');
  }
  return parsed as Headers;
}

/**
 * The size of an entry (UTF-8 bytes of every field name and value) when it is over `limit`,
 * else undefined. Cheap on the hot path: a UTF-16 code unit is at most 3 UTF-8 bytes, so
 * bytes are counted exactly only when the length in characters does not settle it.
 */
export function payloadBytesOver(fields: readonly string[], limit: number): number | undefined {
  let chars = 0;
  for (let i = 0; i < fields.length; i++) chars += fields[i].length;
  if (chars * 3 <= limit) return undefined;
  if (chars > limit) return Math.max(chars, utf8Bytes(fields));
  const bytes = utf8Bytes(fields);
  return bytes > limit ? bytes : undefined;
}

function utf8Bytes(fields: readonly string[]): number {
  let bytes = 0;
  for (let i = 0; i < fields.length; i++) bytes += Buffer.byteLength(fields[i], 'utf8');
  return bytes;
}

function encodeMetadata(stream: string, metadata: PacketMetadata): string {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new SerializationError(stream, new TypeError('packet metadata must be an object of strings'));
  }
  for (const [name, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new SerializationError(stream, new TypeError(`metadata "${name}" must be a string, got ${typeof value}`));
  }
  return JSON.stringify(metadata);
}

/**
 * The `metadata` field of an entry's raw fields, or null. Read on demand (from the context),
 * not by the decoder: most handlers never ask. A malformed field reads as null.
 */
export function readMetadata(fields: readonly string[]): PacketMetadata | null {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== 'metadata') continue;
    try {
      const parsed: unknown = JSON.parse(fields[i + 1]);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as PacketMetadata;
    } catch {
      // Written by another program: not metadata we can read.
    }
    return null;
  }
  return null;
}

/** The millisecond part of a stream entry id. */
export function entryTimestamp(entryId: string): number {
  return Number(entryId.slice(0, entryId.indexOf('-')));
}

/** `[f1, v1, f2, v2]` → `{ f1: v1, f2: v2 }` (for dead letters, the CLI and replies). */
export function fieldsToObject(fields: readonly string[]): Record<string, string> {
  const object: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) object[fields[i]] = fields[i + 1];
  return object;
}

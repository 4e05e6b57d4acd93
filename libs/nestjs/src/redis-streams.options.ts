import type { ConsumerOptions, ProducerOptions } from '@redstream/core';

/** Maps a Nest pattern to a stream name; by default a pattern maps to the stream of the same name. */
export type PatternToStream = Record<string, string> | ((pattern: string) => string);

export interface RedisStreamsServerOptions extends ConsumerOptions {
  streams?: PatternToStream;
}

export interface RedisStreamsClientOptions extends ProducerOptions {
  streams?: PatternToStream;
}

export function streamForPattern(pattern: string, mapping: PatternToStream | undefined): string {
  if (mapping === undefined) return pattern;
  if (typeof mapping === 'function') return mapping(pattern);
  return mapping[pattern] ?? pattern;
}

export function splitOptions<T extends { streams?: PatternToStream }>(options: T): [Omit<T, 'streams'>, PatternToStream | undefined] {
  const { streams, ...rest } = options;
  return [rest, streams];
}

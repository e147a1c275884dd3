// Reads a fetch response body chunk by chunk, as text.

export interface TextReader {
  /** The next chunk of text, or undefined at the end (or when the connection broke). */
  next(): Promise<string | undefined>;
  /** Everything from here to the end. */
  rest(): Promise<string>;
}

export function textReader(response: Response): TextReader {
  if (response.body === null) throw new Error('response has no body');
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const next = async () => {
    const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
    return chunk.done ? undefined : decoder.decode(chunk.value, { stream: true });
  };
  return {
    next,
    rest: async () => {
      let text = '';
      for (let chunk = await next(); chunk !== undefined; chunk = await next()) text += chunk;
      return text;
    },
  };
}

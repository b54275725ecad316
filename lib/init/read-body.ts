/**
 * Reads a request body up to a byte limit without buffering more than the limit, whatever the Content-Length says
 * (it may be absent with chunked encoding, or lie).
 */
export type BodyResult = { ok: true; text: string } | { ok: false; tooLarge: true };

export async function readBodyWithLimit(request: Request, limitBytes: number): Promise<BodyResult> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limitBytes) return { ok: false, tooLarge: true };
  if (!request.body) return { ok: true, text: "" };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limitBytes) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, tooLarge: true };
      }
      chunks.push(value);
    }
  } catch {
    // The engine aborts the stream itself when a body passes its own limit.
    return { ok: false, tooLarge: true };
  }
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, text: new TextDecoder("utf-8", { fatal: false }).decode(joined) };
}

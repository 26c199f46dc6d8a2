/**
 * A PUT whose body is a file streamed from disk through node:http(s) with backpressure, so memory stays bounded
 * whatever the file's size (fetch buffers a streamed or file-backed body whole). Answers as a fetch Response, so
 * the client reads status and errors the same way for every request.
 */
import { createReadStream, statSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { pipeline } from "node:stream/promises";

export async function putFile(url: string, file: string, headers: Record<string, string>, timeoutMs: number): Promise<Response> {
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  const size = statSync(file).size;
  const req = send(target, { method: "PUT", headers: { ...headers, "Content-Length": String(size) }, signal: AbortSignal.timeout(timeoutMs) });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once("response", resolve);
    req.once("error", reject);
  });
  // A server that answers early (an error) may stop reading: the answer counts, not the unsent rest of the body.
  const sent = pipeline(createReadStream(file), req).catch((error: unknown) => error);
  const response = await answered;
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const failure = await sent;
  if (failure !== undefined && (response.statusCode ?? 0) < 400) throw failure;
  const responseHeaders = new Headers();
  for (const [key, value] of Object.entries(response.headers)) if (typeof value === "string") responseHeaders.set(key, value);
  const status = response.statusCode ?? 500;
  return new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, statusText: response.statusMessage ?? "", headers: responseHeaders });
}

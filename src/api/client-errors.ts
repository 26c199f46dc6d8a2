/**
 * Requests that never reach a route still get the API's one error shape: a URL that does not decode (Fastify's
 * frameworkErrors) and what Node's HTTP parser refuses before Fastify sees a request (oversized headers, a
 * request that did not arrive in time, bytes that are not HTTP).
 */
import { maxHeaderSize, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { Errors, type MultiverseError } from "../domain/errors.js";
import { toApiError } from "./errors.js";

export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const problem =
    error.code === "FST_ERR_BAD_URL"
      ? Errors.badRequest(`the URL ${JSON.stringify(request.url.split("?")[0])} has a %-escape that is not valid UTF-8 (e.g. %ZZ or a lone %)`)
      : Errors.badRequest(error.message);
  const { status, body } = toApiError(problem);
  void reply.status(status).send(body);
}

/** The refusal of a request Node's parser could not take, as an error of the API (undefined: say nothing). */
export function clientErrorProblem(code: string | undefined): MultiverseError | undefined {
  if (code === "ECONNRESET") return undefined;
  if (code === "HPE_HEADER_OVERFLOW") return Errors.headersTooLarge(`the request line and headers are larger than the server reads (${maxHeaderSize} bytes in all)`);
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return Errors.requestTimeout("the request did not arrive in time");
  return Errors.badRequest("the request is not valid HTTP/1.1");
}

export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  const problem = clientErrorProblem(error.code);
  if (problem && !socket.destroyed && socket.writable) {
    const { status, body } = toApiError(problem);
    const text = JSON.stringify(body);
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Client Error"}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\n\r\n${text}`);
  }
  socket.destroy(error);
}

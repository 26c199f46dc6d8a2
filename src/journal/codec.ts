/**
 * One journal line: the record's JSON text (fields in insertion order, `seq` and `ts` first) with
 * `"crc":"<16 hex>"` appended as the last field. The checksum is the first 16 hex digits of the sha256 of
 * the JSON text without the crc field, so a reader verifies the exact bytes that were written.
 */
import { sha256Hex } from "../identity/hash.js";
import type { JournalRecord } from "./records.js";

const CRC_SUFFIX = /,"crc":"([0-9a-f]{16})"\}$/;

export function checksum(body: string): string {
  return sha256Hex(body).slice(0, 16);
}

export function encodeLine(record: JournalRecord): string {
  const body = JSON.stringify(record);
  return `${body.slice(0, -1)},"crc":"${checksum(body)}"}\n`;
}

export type DecodeResult = { ok: true; record: JournalRecord } | { ok: false; reason: string };

/** Decodes one line without its trailing newline. */
export function decodeLine(line: string): DecodeResult {
  const match = CRC_SUFFIX.exec(line);
  if (!match) return { ok: false, reason: "no checksum" };
  const body = `${line.slice(0, match.index)}}`;
  if (checksum(body) !== match[1]) return { ok: false, reason: "checksum mismatch" };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, reason: "invalid JSON" };
  }
  const shape = shapeProblem(value);
  return shape ? { ok: false, reason: shape } : { ok: true, record: value as JournalRecord };
}

/** The fields the journal itself relies on; the record bodies are the writers' contract (records.ts). */
function shapeProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
  const record = value as Record<string, unknown>;
  if (!Number.isSafeInteger(record.seq) || (record.seq as number) < 1) return "seq is not a positive integer";
  if (typeof record.ts !== "string") return "ts is not a string";
  if (typeof record.type !== "string") return "type is not a string";
  return undefined;
}

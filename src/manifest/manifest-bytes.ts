/**
 * A manifest's bytes as text. Manifests are UTF-8 (a byte order mark is dropped); anything else is refused with
 * the place of the first offending byte instead of being read with replacement characters: UTF-16 and UTF-32
 * files, binary files (NUL bytes), invalid UTF-8 sequences and control characters YAML does not allow.
 */
import { Errors } from "../domain/errors.js";

interface Place {
  line: number;
  column: number;
}

/** 1-based line and column (in characters) of byte `offset` of valid UTF-8 `bytes`. */
function placeOf(bytes: Uint8Array, offset: number): Place {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i += 1) {
    if (bytes[i] === 0x0a) {
      line += 1;
      lineStart = i + 1;
    }
  }
  let column = 1;
  // count characters, not bytes: continuation bytes (10xxxxxx) do not start one
  for (let i = lineStart; i < offset; i += 1) if ((bytes[i]! & 0xc0) !== 0x80) column += 1;
  return { line, column };
}

/** Offset of the first byte that does not belong to a valid UTF-8 sequence (RFC 3629), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k += 1) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    // overlong forms, UTF-16 surrogates and code points above U+10FFFF are not UTF-8
    if (code < min || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return i;
    i += need + 1;
  }
  return -1;
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** UTF-16 without a byte order mark: ASCII text has a NUL in every other byte. */
function looksLikeUtf16(bytes: Uint8Array): "LE" | "BE" | undefined {
  const sample = Math.min(bytes.length - (bytes.length % 2), 512);
  if (sample < 4) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < sample; i += 2) {
    if (bytes[i] === 0) evenNul += 1;
    if (bytes[i + 1] === 0) oddNul += 1;
  }
  const pairs = sample / 2;
  if (oddNul > pairs * 0.6 && evenNul < pairs * 0.1) return "LE";
  if (evenNul > pairs * 0.6 && oddNul < pairs * 0.1) return "BE";
  return undefined;
}

const SAVE_AS_UTF8 = "save the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8 in.yaml > out.yaml)";

/** Control characters YAML does not allow in a stream (C0 except tab, LF and CR; DEL). */
function isForbiddenControl(b: number): boolean {
  return (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f;
}

export function decodeManifestBytes(bytes: Uint8Array, file: string): string {
  if (startsWith(bytes, [0xff, 0xfe, 0x00, 0x00]) || startsWith(bytes, [0x00, 0x00, 0xfe, 0xff])) {
    throw Errors.yamlSyntax("the manifest is encoded as UTF-32 (it starts with a UTF-32 byte order mark); manifests are UTF-8", { location: { file, line: 1, column: 1 }, details: [SAVE_AS_UTF8.replace("UTF-16", "UTF-32")] });
  }
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    throw Errors.yamlSyntax("the manifest is encoded as UTF-16 (it starts with a UTF-16 byte order mark); manifests are UTF-8", { location: { file, line: 1, column: 1 }, details: [SAVE_AS_UTF8] });
  }
  const utf16 = looksLikeUtf16(bytes);
  if (utf16) {
    throw Errors.yamlSyntax(`the manifest looks like UTF-16${utf16} text (a NUL byte next to every character); manifests are UTF-8`, { location: { file, line: 1, column: 1 }, details: [SAVE_AS_UTF8] });
  }
  const body = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? bytes.subarray(3) : bytes;
  const invalid = firstInvalidUtf8(body);
  const nul = body.indexOf(0);
  if (nul >= 0 && (invalid < 0 || nul < invalid)) {
    throw Errors.yamlSyntax("the manifest contains a NUL byte; is it a binary file? Manifests are UTF-8 YAML text", { location: { file, ...placeOf(body, nul) } });
  }
  if (invalid >= 0) {
    const hex = Array.from(body.subarray(invalid, Math.min(invalid + 4, body.length)), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw Errors.yamlSyntax(`the manifest is not valid UTF-8: byte 0x${body[invalid]!.toString(16).padStart(2, "0")} at offset ${invalid + (body === bytes ? 0 : 3)} does not start a valid character (bytes ${hex})`, {
      location: { file, ...placeOf(body, invalid) },
      details: ["manifests are UTF-8 text; re-save the file as UTF-8 (a file in Latin-1: iconv -f LATIN1 -t UTF-8)"],
    });
  }
  const control = body.findIndex(isForbiddenControl);
  if (control >= 0) {
    throw Errors.yamlSyntax(`the manifest contains the control character U+${body[control]!.toString(16).padStart(4, "0").toUpperCase()}, which YAML does not allow; is it a binary file?`, {
      location: { file, ...placeOf(body, control) },
    });
  }
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
}

/** The same checks for text that is already decoded (a string may still hold a NUL or a control character). */
export function checkManifestText(text: string, file: string): string {
  const noBom = text.startsWith("\uFEFF") ? text.slice(1) : text;
  for (let i = 0; i < noBom.length; i += 1) {
    const code = noBom.charCodeAt(i);
    if (code >= 0x20 && code !== 0x7f) continue;
    if (code === 0x09 || code === 0x0a || code === 0x0d) continue;
    const before = noBom.slice(0, i);
    const line = before.split("\n").length;
    const column = i - before.lastIndexOf("\n");
    if (code === 0) throw Errors.yamlSyntax("the manifest contains a NUL byte; is it a binary file? Manifests are UTF-8 YAML text", { location: { file, line, column } });
    throw Errors.yamlSyntax(`the manifest contains the control character U+${code.toString(16).padStart(4, "0").toUpperCase()}, which YAML does not allow; is it a binary file?`, { location: { file, line, column } });
  }
  return noBom;
}

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MultiverseError } from "../../../src/domain/errors.js";
import { checkManifestText, decodeManifestBytes, firstInvalidUtf8 } from "../../../src/manifest/manifest-bytes.js";

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

function refused(input: Uint8Array, message: RegExp, line: number, column: number): void {
  assert.throws(
    () => decodeManifestBytes(input, "m.yaml"),
    (e: unknown) => {
      assert.ok(e instanceof MultiverseError, String(e));
      assert.equal(e.code, "MV_YAML_SYNTAX");
      assert.deepEqual([e.location.file, e.location.line, e.location.column], ["m.yaml", line, column], e.format());
      assert.match(e.message, message);
      return true;
    },
  );
}

describe("firstInvalidUtf8 (RFC 3629)", () => {
  const valid: [string, number[]][] = [
    ["ASCII", [0x61, 0x62]],
    ["2-byte é", [0xc3, 0xa9]],
    ["3-byte €", [0xe2, 0x82, 0xac]],
    ["4-byte emoji", [0xf0, 0x9f, 0x98, 0x80]],
    ["U+10FFFF", [0xf4, 0x8f, 0xbf, 0xbf]],
    ["U+FFFD itself", [0xef, 0xbf, 0xbd]],
    ["empty", []],
  ];
  for (const [name, input] of valid) test(`valid: ${name}`, () => assert.equal(firstInvalidUtf8(Uint8Array.from(input)), -1));

  const invalid: [string, number[], number][] = [
    ["a lone continuation byte", [0x61, 0x80], 1],
    ["Latin-1 é", [0x63, 0x61, 0x66, 0xe9], 3],
    ["a truncated 2-byte sequence at the end", [0x61, 0xc3], 1],
    ["a truncated 3-byte sequence", [0xe2, 0x82, 0x61], 0],
    ["overlong /", [0xc0, 0xaf], 0],
    ["overlong 3-byte", [0xe0, 0x80, 0xaf], 0],
    ["overlong 4-byte", [0xf0, 0x80, 0x80, 0xaf], 0],
    ["a UTF-16 surrogate (CESU-8)", [0xed, 0xa0, 0x80], 0],
    ["above U+10FFFF", [0xf4, 0x90, 0x80, 0x80], 0],
    ["0xF5", [0xf5, 0x80, 0x80, 0x80], 0],
    ["0xFF", [0x61, 0x62, 0xff], 2],
  ];
  for (const [name, input, offset] of invalid) test(`invalid: ${name}`, () => assert.equal(firstInvalidUtf8(Uint8Array.from(input)), offset));
});

describe("decodeManifestBytes", () => {
  test("UTF-8 text comes back as it is, a UTF-8 byte order mark dropped", () => {
    assert.equal(decodeManifestBytes(bytes("a: café\n"), "m.yaml"), "a: café\n");
    assert.equal(decodeManifestBytes(bytes([0xef, 0xbb, 0xbf], "a: 1\n"), "m.yaml"), "a: 1\n");
    assert.equal(decodeManifestBytes(bytes("a:\t1\r\n"), "m.yaml"), "a:\t1\r\n", "tab, CR and LF are text");
  });

  test("invalid UTF-8 is refused at its line and column (in characters), never replaced", () => {
    refused(bytes("globals:\n  experiment_name: \"caf", [0xe9], "\"\n"), /not valid UTF-8: byte 0xe9 at offset 32/, 2, 24);
    refused(bytes("a: é", [0xff]), /byte 0xff/, 1, 5);
    refused(bytes([0xef, 0xbb, 0xbf], "a: ", [0x80]), /byte 0x80 at offset 6/, 1, 4);
  });

  test("UTF-16 and UTF-32, with or without a byte order mark, are refused with what to do", () => {
    refused(bytes([0xff, 0xfe], Array.from(Buffer.from("a: 1\n", "utf16le"))), /UTF-16 \(it starts with a UTF-16 byte order mark\)/, 1, 1);
    refused(bytes([0xfe, 0xff, 0x00, 0x61, 0x00, 0x3a]), /UTF-16/, 1, 1);
    refused(Buffer.from("globals: {experiment_name: e}\n", "utf16le"), /looks like UTF-16LE/, 1, 1);
    refused(Buffer.from(Buffer.from("globals: {experiment_name: e}\n", "utf16le").swap16()), /looks like UTF-16BE/, 1, 1);
    refused(bytes([0xff, 0xfe, 0x00, 0x00, 0x61, 0x00, 0x00, 0x00]), /UTF-32/, 1, 1);
    refused(bytes([0x00, 0x00, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x61]), /UTF-32/, 1, 1);
  });

  test("binary files: a NUL byte or a control character is refused where it is", () => {
    refused(bytes("a: 1\nb: x", [0x00], "y\n"), /NUL byte; is it a binary file/, 2, 5);
    refused(bytes([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), /NUL byte/, 1, 8);
    refused(bytes("a: 1\n\u0001"), /control character U\+0001/, 2, 1);
    refused(bytes("a: \u001b[31m\n"), /control character U\+001B/, 1, 4);
    refused(bytes("a: \u007f\n"), /control character U\+007F/, 1, 4);
  });

  test("checkManifestText applies the same rules to text that is already decoded", () => {
    assert.equal(checkManifestText("\uFEFFa: 1\n", "m.yaml"), "a: 1\n");
    assert.throws(() => checkManifestText("a: 1\nb: \u0000", "m.yaml"), (e: unknown) => e instanceof MultiverseError && e.location.line === 2 && e.location.column === 4 && /NUL/.test(e.message));
    assert.throws(() => checkManifestText("a: \u0008", "m.yaml"), (e: unknown) => e instanceof MultiverseError && /U\+0008/.test(e.message));
  });
});

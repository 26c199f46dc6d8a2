/** The Authorization header as RFC 7235 and 6750 describe it, the token's shape, and the secret comparison. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { checkTokenShape, parseAuthorization, sameSecret } from "../../../src/api/auth.js";

describe("parseAuthorization", () => {
  test("the scheme is case-insensitive; one or more spaces separate it from the token", () => {
    for (const header of ["Bearer s3cret", "bearer s3cret", "BEARER s3cret", "bEaReR s3cret", "Bearer   s3cret", " Bearer s3cret "]) {
      assert.deepEqual(parseAuthorization(header), { kind: "bearer", token: "s3cret" }, header);
    }
  });

  test("no header, an empty one or a scheme without a token carries no credentials", () => {
    for (const header of [undefined, "", "   ", "Bearer", "Bearer   "]) assert.deepEqual(parseAuthorization(header), { kind: "none" }, String(header));
  });

  test("another scheme, a bare token or a tab for the space is not a bearer token (and is never echoed)", () => {
    for (const header of ["Basic dXNlcjpwdw==", "s3cret", "Bearer\ts3cret", "Bearers s3cret", "Token s3cret"]) {
      assert.deepEqual(parseAuthorization(header), { kind: "other-scheme" }, header);
    }
  });

  test("a token keeps what follows the spaces as it is (whitespace inside makes it another token)", () => {
    assert.deepEqual(parseAuthorization("Bearer s3 cret"), { kind: "bearer", token: "s3 cret" });
    assert.deepEqual(parseAuthorization("Bearer abc=="), { kind: "bearer", token: "abc==" });
  });
});

describe("sameSecret", () => {
  test("equal strings only, whatever their lengths", () => {
    assert.equal(sameSecret("s3cret", "s3cret"), true);
    for (const other of ["s3cre", "s3cretx", "S3cret", "", "s3cret\u0000"]) assert.equal(sameSecret(other, "s3cret"), false, JSON.stringify(other));
    assert.equal(sameSecret("ü", "ü"), true);
  });
});

describe("checkTokenShape", () => {
  test("printable ASCII without spaces is a token", () => {
    for (const token of ["s3cret", "abc-._~+/==", "!#$%&'*^`|", "x".repeat(4096)]) assert.doesNotThrow(() => checkTokenShape(token), token);
  });

  for (const [token, what] of [
    ["", /is empty/],
    ["s3cret\n", /whitespace at character 7/],
    [" s3cret", /whitespace at character 1/],
    ["s3 cret", /whitespace at character 3/],
    ["s3\tcret", /whitespace at character 3/],
    ["s3\u0000cret", /a control character at character 3/],
    ["s3\u007fcret", /a control character at character 3/],
    ["sécret", /a character beyond ASCII at character 2/],
  ] as const) {
    test(`refused: ${JSON.stringify(token)}, naming the position but not the token`, () => {
      assert.throws(
        () => checkTokenShape(token),
        (error: Error & { code?: string }) => error.code === "MV_USAGE" && what.test(error.message) && /MULTIVERSE_API_TOKEN/.test(error.message) && (token.length < 3 || !error.message.includes(token)),
      );
    });
  }
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { canonicalRepository, imageReferenceProblem, parseImageReference, pinnedReference, registryDigestOf, type ImageReference } from "../../../src/domain/image-reference.js";

const HEX64 = "0123456789abcdef".repeat(4);

describe("parseImageReference: valid references (OCI distribution grammar)", () => {
  const good: [string, ImageReference][] = [
    ["busybox", { path: "busybox" }],
    ["multiverse-pca:1.0.0", { path: "multiverse-pca", tag: "1.0.0" }],
    ["library/python:3.11-slim", { path: "library/python", tag: "3.11-slim" }],
    ["docker.io/library/python:3.11-slim", { domain: "docker.io", path: "library/python", tag: "3.11-slim" }],
    ["ghcr.io/org/sub/repo", { domain: "ghcr.io", path: "org/sub/repo" }],
    ["localhost/img", { domain: "localhost", path: "img" }],
    ["localhost:5000/img:tag", { domain: "localhost:5000", path: "img", tag: "tag" }],
    ["127.0.0.1:5000/a/b", { domain: "127.0.0.1:5000", path: "a/b" }],
    ["[::1]:5000/img", { domain: "[::1]:5000", path: "img" }],
    ["[2001:db8::1]/img", { domain: "[2001:db8::1]", path: "img" }],
    ["registry.example.com:443/team/model:v2", { domain: "registry.example.com:443", path: "team/model", tag: "v2" }],
    [`img@sha256:${HEX64}`, { path: "img", digest: `sha256:${HEX64}` }],
    [`img:tag@sha256:${HEX64}`, { path: "img", tag: "tag", digest: `sha256:${HEX64}` }],
    [`r.io/a/b:t@sha512:${HEX64}${HEX64}`, { domain: "r.io", path: "a/b", tag: "t", digest: `sha512:${HEX64}${HEX64}` }],
    [`img@sha384:${HEX64}${HEX64.slice(0, 32)}`, { path: "img", digest: `sha384:${HEX64}${HEX64.slice(0, 32)}` }],
    [`img@multihash+base58:${"A".repeat(32)}`, { path: "img", digest: `multihash+base58:${"A".repeat(32)}` }],
    ["a_b__c-d---e.f:g", { path: "a_b__c-d---e.f", tag: "g" }],
    ["img:_underscore", { path: "img", tag: "_underscore" }],
    [`img:${"t".repeat(128)}`, { path: "img", tag: "t".repeat(128) }],
    ["a1/b2/c3", { path: "a1/b2/c3" }],
    ["Registry.Example.com/img", { domain: "Registry.Example.com", path: "img" }],
  ];
  for (const [text, expected] of good) {
    test(text.length > 60 ? `${text.slice(0, 60)}...` : text, () => {
      assert.deepEqual(parseImageReference(text), { ok: true, reference: expected });
      assert.equal(imageReferenceProblem(text), undefined);
    });
  }

  test("a name of exactly 255 characters is accepted", () => {
    const name = `a/${"b".repeat(253)}`;
    assert.equal(parseImageReference(name).ok, true);
  });
});

describe("parseImageReference: malformed references are refused with a reason", () => {
  const bad: [string, RegExp][] = [
    ["Bad Image!!", /a space cannot appear in a repository name/],
    ["UPPER/Case:tag", /repository name must be lowercase, got "Case"/],
    ["Upper", /repository name must be lowercase/],
    ["x:y:z@sha256:zz", /sha256 digest must be lowercase hexadecimal/],
    ["?all=1", /"\?" cannot appear in a repository name/],
    ["img?x=1:tag", /"\?" cannot appear/],
    ["", /empty/],
    [" img", /whitespace/],
    ["img ", /whitespace/],
    ["img:", /tag after ":" is empty/],
    ["img:-tag", /must start with a letter, a digit or "_"/],
    ["img:.tag", /must start with a letter/],
    ["img:ta/g", /port "ta" must be a number/],
    ["img:t$g", /"\$" cannot appear in the tag/],
    [`img:${"t".repeat(129)}`, /129 characters long; at most 128/],
    ["img@", /algorithm:hex/],
    ["img@sha256", /algorithm:hex/],
    ["img@:abc", /algorithm:hex/],
    [`img@sha256:${HEX64.slice(1)}`, /64 hex digits, got 63/],
    [`img@sha256:${HEX64}0`, /64 hex digits, got 65/],
    [`img@sha256:${HEX64.toUpperCase()}`, /lowercase hexadecimal/],
    [`img@sha512:${HEX64}`, /128 hex digits, got 64/],
    [`img@1sha:${HEX64}`, /algorithm "1sha" is not valid/],
    [`img@md5:abc`, /at least 32 hexadecimal digits/],
    [`img@sha256:${HEX64}@sha256:${HEX64}`, /lowercase hexadecimal/],
    ["/img", /empty component/],
    ["img/", /empty component/],
    ["a//b", /empty component/],
    ["-img", /not a valid repository name component/],
    ["img-", /not a valid repository name component/],
    ["a..b", /not a valid repository name component/],
    ["a___b", /not a valid repository name component/],
    [".hidden", /not a valid repository name component/],
    ["localhost:port/img", /port "port" must be a number/],
    ["localhost:99999/img", /above 65535/],
    ["-bad.example.com/img", /not a valid host name/],
    ["bad_host.example.com/img", /not a valid host name/],
    ["example..com/img", /not a valid host name/],
    ["[::1/img", /opens "\[" without closing it/],
    ["[zz::1]/img", /not a valid IPv6 address/],
    ["[::1]x/img", /characters after its IPv6 address/],
    [":5000/img", /no host name/],
    [":tag", /no repository name/],
    ["@sha256:" + HEX64, /no repository name/],
    [`${"a".repeat(256)}`, /256 characters long; at most 255/],
    ["img\u0000", /"\\u0000" cannot appear/],
    ["../../../etc/shadow", /registry host ".." is not a valid host name/],
    ["/etc/shadow", /empty component/],
    ["imgé", /"é" cannot appear/],
  ];
  for (const [text, reason] of bad) {
    test(JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text), () => {
      const parsed = parseImageReference(text);
      assert.equal(parsed.ok, false, `${text} was accepted`);
      if (!parsed.ok) assert.match(parsed.reason, reason);
      assert.match(imageReferenceProblem(text) ?? "", /is not a valid image reference: /);
    });
  }

  test("the message quotes a long reference shortened", () => {
    const problem = imageReferenceProblem(`${"A".repeat(300)}`)!;
    assert.ok(problem.length < 250, problem);
  });
});

describe("registry digests of a reference", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  const other = `sha256:${"b".repeat(64)}`;

  test("only a repo digest of the same repository counts", () => {
    assert.equal(registryDigestOf("127.0.0.1:5000/m/pca:1.0.0", [`127.0.0.1:5000/m/pca@${digest}`]), digest);
    assert.equal(registryDigestOf("multiverse-pca:1.0.0", [`127.0.0.1:5000/m/pca@${digest}`]), undefined, "pushed elsewhere: still a local build here");
    assert.equal(registryDigestOf("127.0.0.1:5000/m/pca:1.0.0", [`127.0.0.1:5001/m/pca@${digest}`]), undefined, "another registry");
    assert.equal(registryDigestOf("127.0.0.1:5000/m/pca:1.0.0", []), undefined);
  });

  test("Docker Hub's short names are the same repository as their long form", () => {
    assert.equal(registryDigestOf("python:3.11", [`docker.io/library/python@${digest}`]), digest);
    assert.equal(registryDigestOf("docker.io/library/python", [`python@${digest}`]), digest);
    assert.equal(canonicalRepository({ path: "user/tool" }), "docker.io/user/tool");
    assert.equal(canonicalRepository({ domain: "index.docker.io", path: "python" }), "docker.io/library/python");
  });

  test("a reference by digest needs that digest", () => {
    assert.equal(registryDigestOf(`127.0.0.1:5000/m/pca@${digest}`, [`127.0.0.1:5000/m/pca@${other}`, `127.0.0.1:5000/m/pca@${digest}`]), digest);
    assert.equal(registryDigestOf(`127.0.0.1:5000/m/pca@${digest}`, [`127.0.0.1:5000/m/pca@${other}`]), undefined);
  });

  test("pinning drops the tag and keeps the repository", () => {
    assert.equal(pinnedReference("127.0.0.1:5000/m/pca:1.0.0", digest), `127.0.0.1:5000/m/pca@${digest}`);
    assert.equal(pinnedReference("pca", digest), `pca@${digest}`);
  });
});

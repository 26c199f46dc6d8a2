/** Cross-site calls and DNS-rebound names, as a browser would send them to an API on the user's machine. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { crossSite, hostName, isLoopbackName, misdirected } from "../../../src/api/request-guards.js";

describe("request guards", () => {
  test("the host name of a Host header, with or without a port, IPv6 in brackets", () => {
    assert.deepEqual(["127.0.0.1:8080", "[::1]:80", "LocalHost", "example.org:443", "[::1]"].map(hostName), ["127.0.0.1", "::1", "localhost", "example.org", "::1"]);
  });

  test("loopback names: localhost (and its subdomains), ::1, 127.x.y.z; nothing else", () => {
    for (const name of ["localhost", "app.localhost", "::1", "127.0.0.1", "127.1.2.3"]) assert.equal(isLoopbackName(name), true, name);
    for (const name of ["attacker.example", "localhost.attacker.example", "127.0.0.1.nip.io", "0.0.0.0", "10.0.0.1", "::"]) assert.equal(isLoopbackName(name), false, name);
  });

  test("a loopback-bound API refuses requests addressed to another name, saying why", () => {
    assert.equal(misdirected("127.0.0.1:8080"), undefined);
    assert.equal(misdirected("localhost:8080"), undefined);
    assert.equal(misdirected(undefined), undefined, "HTTP/1.0 without Host");
    const problem = misdirected("rebound.attacker.example:8080");
    assert.equal(problem?.code, "MV_FORBIDDEN");
    assert.match(problem!.message, /bound to loopback .* not to "rebound\.attacker\.example"/);
  });

  test("mutating calls: same origin or no browser passes; another origin, site or a null origin is refused", () => {
    assert.equal(crossSite({ host: "127.0.0.1:8080" }), undefined, "curl, the CLI");
    assert.equal(crossSite({ host: "127.0.0.1:8080", origin: "http://127.0.0.1:8080", "sec-fetch-site": "same-origin" }), undefined, "the dashboard");
    assert.equal(crossSite({ host: "127.0.0.1:8080", "sec-fetch-site": "none" }), undefined, "typed by the user");
    for (const headers of [
      { host: "127.0.0.1:8080", origin: "https://attacker.example" },
      { host: "127.0.0.1:8080", origin: "http://127.0.0.1:3000" },
      { host: "127.0.0.1:8080", origin: "null" },
      { host: "127.0.0.1:8080", origin: "" },
      { host: "127.0.0.1:8080", "sec-fetch-site": "cross-site" },
      { host: "127.0.0.1:8080", "sec-fetch-site": "same-site" },
    ]) {
      assert.equal(crossSite(headers)?.code, "MV_FORBIDDEN", JSON.stringify(headers));
    }
  });
});

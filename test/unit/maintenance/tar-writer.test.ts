import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tarHeader, TarWriter } from "../../../src/maintenance/tar-writer.js";

const mtime = new Date("2026-01-01T00:00:00Z");

describe("ustar writer", () => {
  test("a header's checksum, size, type and magic are where ustar puts them", () => {
    const header = tarHeader("a/b.txt", { size: 5, mtime, kind: "file" });
    assert.equal(header.length, 512);
    assert.equal(header.toString("ascii", 0, 7), "a/b.txt");
    assert.equal(header.toString("ascii", 124, 135), "00000000005");
    assert.equal(header.toString("ascii", 156, 157), "0");
    assert.equal(header.toString("ascii", 257, 262), "ustar");
    const stored = Number.parseInt(header.toString("ascii", 148, 154), 8);
    const blank = Buffer.from(header);
    blank.write("        ", 148, 8, "ascii");
    assert.equal(stored, blank.reduce((sum, byte) => sum + byte, 0));
    assert.equal(tarHeader("d", { size: 0, mtime, kind: "directory" }).toString("ascii", 0, 2), "d/");
  });

  test("long paths go into the prefix at a slash; too long ones are refused", () => {
    const long = `${"p".repeat(120)}/${"n".repeat(90)}`;
    const header = tarHeader(long, { size: 0, mtime, kind: "file" });
    assert.equal(header.toString("ascii", 0, 90), "n".repeat(90));
    assert.equal(header.toString("ascii", 345, 465), "p".repeat(120));
    assert.throws(() => tarHeader("x".repeat(300), { size: 0, mtime, kind: "file" }), /too long for a ustar archive/);
  });

  test("a file whose byte count differs from its header is refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "mv-tar-"));
    const tar = new TarWriter(join(dir, "x.tar"));
    tar.beginFile("f", 3, mtime);
    tar.write(Buffer.from("ab"));
    assert.throws(() => tar.endFile(), /has 2 bytes, its header says 3/);
    assert.throws(() => tar.write(Buffer.from("cd")), /grew past its 3 bytes/);
    tar.abort();
  });

  test("the system's tar reads what it writes", () => {
    const dir = mkdtempSync(join(tmpdir(), "mv-tar-"));
    const file = join(dir, "x.tar");
    const tar = new TarWriter(file);
    tar.directory("d", mtime);
    tar.beginFile("d/hello.txt", 6, mtime);
    tar.write(Buffer.from("hello\n"));
    tar.endFile();
    tar.finish();
    assert.equal(readFileSync(file).length % 512, 0);
    const listed = spawnSync("tar", ["-tvf", file], { encoding: "utf8" });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /d\/hello\.txt/);
    assert.equal(spawnSync("tar", ["-xOf", file, "d/hello.txt"], { encoding: "utf8" }).stdout, "hello\n");
  });
});

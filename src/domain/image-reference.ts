/**
 * Container image references, parsed with the OCI distribution reference grammar
 * (github.com/distribution/reference, reference.go), so that a malformed reference is refused with a reason
 * before it reaches an engine's API:
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path-component [ "/" path-component ]*      (at most 255 characters)
 *   domain     := host [ ":" port ]      host := domain-name | IPv4 | "[" IPv6 "]"
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *   digest     := algorithm ":" hex      algorithm := [A-Za-z][A-Za-z0-9]* ( [+._-] [A-Za-z][A-Za-z0-9]* )*
 *
 * As in Docker, the first component is a domain only when it contains "." or ":", is "localhost", or has an
 * uppercase letter (which the path grammar would refuse). Registered digest algorithms have their exact
 * lowercase-hex lengths (sha256: 64, sha384: 96, sha512: 128); others need at least 32 hex digits.
 */

export interface ImageReference {
  domain?: string;
  /** The repository path, e.g. "library/python". */
  path: string;
  tag?: string;
  digest?: string;
}

export type ParsedImageReference = { ok: true; reference: ImageReference } | { ok: false; reason: string };

export const MAX_NAME_LENGTH = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DOMAIN_COMPONENT = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\]$/;
const ALGORITHM = /^[A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*$/;
const HEX_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

function fail(reason: string): ParsedImageReference {
  return { ok: false, reason };
}

function quoteChar(c: string): string {
  return c === " " ? "a space" : JSON.stringify(c);
}

function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(":");
  if (colon <= 0) return `the digest "${digest}" must be algorithm:hex, e.g. sha256:<64 hex digits>`;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (!ALGORITHM.test(algorithm)) return `the digest algorithm "${algorithm}" is not valid (letters and digits, starting with a letter)`;
  const exact = HEX_LENGTHS[algorithm];
  if (exact !== undefined) {
    if (!/^[0-9a-f]*$/.test(hex)) return `the ${algorithm} digest must be lowercase hexadecimal, got "${hex.length > 20 ? `${hex.slice(0, 20)}...` : hex}"`;
    if (hex.length !== exact) return `a ${algorithm} digest has ${exact} hex digits, got ${hex.length}`;
    return undefined;
  }
  if (!/^[0-9a-fA-F]{32,}$/.test(hex)) return `the ${algorithm} digest must be at least 32 hexadecimal digits`;
  return undefined;
}

function hostProblem(domain: string): string | undefined {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith("[")) {
    const close = domain.indexOf("]");
    if (close < 0) return `the registry "${domain}" opens "[" without closing it`;
    host = domain.slice(0, close + 1);
    const rest = domain.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return `the registry "${domain}" has characters after its IPv6 address`;
      port = rest.slice(1);
    }
    if (!IPV6.test(host)) return `the registry "${domain}" is not a valid IPv6 address`;
  } else {
    const colon = domain.indexOf(":");
    if (colon >= 0) {
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
    if (host === "") return `the registry "${domain}" has no host name`;
    const bad = host.split(".").find((component) => !DOMAIN_COMPONENT.test(component));
    if (bad !== undefined) return `the registry host "${host}" is not a valid host name (letters, digits and "-" between dots)`;
  }
  if (port !== undefined && !/^[0-9]{1,5}$/.test(port)) return `the registry port "${port}" must be a number`;
  if (port !== undefined && Number(port) > 65535) return `the registry port ${port} is above 65535`;
  return undefined;
}

function pathProblem(path: string): string | undefined {
  if (path === "") return "the repository name is empty";
  for (const component of path.split("/")) {
    if (component === "") return `the repository name "${path}" has an empty component (two "/" in a row, or a leading or trailing "/")`;
    if (PATH_COMPONENT.test(component)) continue;
    const offending = [...component].find((c) => !/[A-Za-z0-9._-]/.test(c));
    if (offending !== undefined) return `${quoteChar(offending)} cannot appear in a repository name (lowercase letters, digits, ".", "_" and "-" only)`;
    if (/[A-Z]/.test(component)) return `the repository name must be lowercase, got "${component}"`;
    return `"${component}" is not a valid repository name component (separators ".", "_", "__" or "-" go between letters or digits)`;
  }
  return undefined;
}

/** Splits a name into Docker's (domain, path): see the module comment. */
function splitDomain(name: string): { domain?: string; path: string } {
  const slash = name.indexOf("/");
  if (slash < 0) return { path: name };
  const first = name.slice(0, slash);
  if (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first) return { domain: first, path: name.slice(slash + 1) };
  return { path: name };
}

export function parseImageReference(text: string): ParsedImageReference {
  if (text === "") return fail("the image reference is empty");
  if (text.trim() !== text) return fail("the image reference has leading or trailing whitespace");
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const problem = digestProblem(digest);
    if (problem) return fail(problem);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag === "") return fail('the tag after ":" is empty');
    if (!TAG.test(tag)) {
      const offending = [...tag].find((c) => !/[A-Za-z0-9_.-]/.test(c));
      if (offending !== undefined) return fail(`${quoteChar(offending)} cannot appear in the tag "${tag}" (letters, digits, "_", "." and "-" only)`);
      return fail(tag.length > 128 ? `the tag is ${tag.length} characters long; at most 128` : `the tag "${tag}" must start with a letter, a digit or "_"`);
    }
  }
  if (rest === "") return fail("the image reference has no repository name");
  if (rest.length > MAX_NAME_LENGTH) return fail(`the repository name is ${rest.length} characters long; at most ${MAX_NAME_LENGTH}`);
  const { domain, path } = splitDomain(rest);
  if (domain !== undefined) {
    const problem = hostProblem(domain);
    if (problem) return fail(problem);
  }
  const problem = pathProblem(path);
  if (problem) return fail(problem);
  const reference: ImageReference = { path };
  if (domain !== undefined) reference.domain = domain;
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  return { ok: true, reference };
}

/** undefined when `text` is a valid reference; otherwise a sentence saying why not. */
export function imageReferenceProblem(text: string): string | undefined {
  const parsed = parseImageReference(text);
  return parsed.ok ? undefined : `${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)} is not a valid image reference: ${parsed.reason}`;
}

/** The repository as a registry names it: docker.io for no domain, library/ for a one-component Docker Hub name. */
export function canonicalRepository(reference: ImageReference): string {
  const domain = reference.domain === undefined || reference.domain === "index.docker.io" ? "docker.io" : reference.domain;
  const path = domain === "docker.io" && !reference.path.includes("/") ? `library/${reference.path}` : reference.path;
  return `${domain}/${path}`;
}

/** `repository@digest` for pulling exactly the declared image (any tag of `reference` is dropped). */
export function pinnedReference(reference: string, digest: string): string {
  const parsed = parseImageReference(reference);
  if (!parsed.ok) return `${reference}@${digest}`;
  const { domain, path } = parsed.reference;
  return `${domain !== undefined ? `${domain}/` : ""}${path}@${digest}`;
}

/**
 * The registry digest of `reference` among an image's repo digests (Docker's RepoDigests, "repo@sha256:..."): only
 * one of the same repository counts, since pushing an image to another repository says nothing about this one; a
 * reference that names a digest must find that very digest.
 */
export function registryDigestOf(reference: string, repoDigests: readonly string[]): string | undefined {
  const parsed = parseImageReference(reference);
  if (!parsed.ok) return undefined;
  const repository = canonicalRepository(parsed.reference);
  for (const entry of repoDigests) {
    const at = entry.lastIndexOf("@");
    if (at < 0) continue;
    const candidate = parseImageReference(entry.slice(0, at));
    const digest = entry.slice(at + 1);
    if (!candidate.ok || canonicalRepository(candidate.reference) !== repository) continue;
    if (parsed.reference.digest === undefined || parsed.reference.digest === digest) return digest;
  }
  return undefined;
}

/**
 * `multiverse run` on the local executor with a model whose environment does not exist yet: refused before any
 * run is planned, naming every such model and the command that makes its environment (the choice documented in
 * the README: say so with the command rather than install gigabytes of packages behind the user's back).
 */
import { Errors, type MultiverseError } from "../../domain/errors.js";
import type { Executor } from "../../executors/executor.js";

export interface MissingEnvironment {
  slug: string;
  version: string;
}

/**
 * Notes each model the executor cannot resolve to an environment (the executor's answer is unchanged). Only
 * models with a directory and a version count: an image-only model has no environment to make.
 */
export function noteMissingEnvironments(executor: Executor, missing: Map<string, MissingEnvironment>): Executor {
  const resolveImage = executor.resolveImage.bind(executor);
  executor.resolveImage = async (reference, model) => {
    const identity = await resolveImage(reference, model);
    if (identity === null && model?.directory && model.version) missing.set(`${model.slug}@${model.version}`, { slug: model.slug, version: model.version });
    return identity;
  };
  return executor;
}

/** Pure: the error for the models without an environment. */
export function missingEnvironmentsError(missing: readonly MissingEnvironment[], envsRoot: string): MultiverseError {
  const names = missing.map((m) => `${m.slug} ${m.version}`).join(", ");
  const commands = missing.map((m) => `multiverse models setup ${m.slug}`).join(" && ");
  return Errors.environmentMissing(`the local executor has no environment for ${missing.length === 1 ? "model" : `${missing.length} models:`} ${names}; nothing was planned or launched`, {
    details: [
      `make ${missing.length === 1 ? "it" : "them"} (pinned requirements from PyPI, progress on stderr): ${commands}`,
      `environments live in ${envsRoot} (set MULTIVERSE_ENVS_DIR to use another directory)`,
      "for the demo's two models: ./scripts/setup-demo.sh",
    ],
  });
}

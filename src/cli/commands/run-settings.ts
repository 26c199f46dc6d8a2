/** The CLI edge of `multiverse run`: its options checked and narrowed into RunSettings, once. */
import type { Backend, ValidatorLevel } from "../../domain/resources.js";
import { Errors } from "../../domain/errors.js";
import type { RunSettings } from "../../services/run-settings.js";
import type { KubernetesFlags } from "../../executors/kubernetes/settings.js";

export interface RunCliOptions extends KubernetesFlags {
  manifest?: string;
  simple?: string | boolean;
  output?: string;
  out?: string;
  skipCompleted?: boolean;
  strict?: boolean;
  acceptDegraded?: boolean;
  /** false with --no-image-pull (commander's negated option). */
  imagePull?: boolean;
  seed?: number;
  validators?: ValidatorLevel;
  backend?: Backend;
  json?: boolean;
  dryRun?: boolean;
  maxConcurrent?: number;
  evaluate?: boolean;
}

export function parseRunSettings(options: RunCliOptions): RunSettings {
  const simple = options.simple !== undefined && options.simple !== false;
  const path = typeof options.simple === "string" ? options.simple : options.manifest;
  if (!path) throw Errors.usage("a manifest is required: --manifest <file> (or --simple <file>)");
  if (typeof options.simple === "string" && options.manifest && options.manifest !== options.simple) {
    throw Errors.usage("give the simple manifest once: either --simple <file> or --simple --manifest <file>");
  }
  const output = options.output ?? options.out;
  if (!output) throw Errors.usage(simple ? "an output directory is required: --out <dir>" : "an output directory is required: --output <dir>");
  return {
    manifest: { path, simple },
    output,
    plan: {
      seedOverride: options.seed,
      strict: options.strict,
      acceptDegraded: options.acceptDegraded,
      noImagePull: options.imagePull === false,
      validators: options.validators,
      backend: options.backend,
    },
    execution: { skipCompleted: options.skipCompleted, dryRun: options.dryRun === true, maxConcurrent: options.maxConcurrent, evaluate: options.evaluate === true && options.dryRun !== true },
  };
}

/**
 * What `multiverse run` was asked to do, parsed once at the CLI edge (src/cli/commands/run-settings.ts) and handed
 * down in narrow pieces: the manifest to load, the planning choices, the execution choices. No layer below the
 * CLI sees the command's options.
 */
import type { Backend, ValidatorLevel } from "../domain/resources.js";

export interface ManifestSource {
  path: string;
  /** The seeds' simple mode: every value inline, bundles at <output>/<job-name>/. */
  simple: boolean;
}

/** Choices that change which runs are planned and with what identity. */
export interface PlanSettings {
  seedOverride?: number;
  strict?: boolean;
  acceptDegraded?: boolean;
  /** --no-image-pull: an image whose declared digest is not present locally is refused, not pulled. */
  noImagePull?: boolean;
  validators?: ValidatorLevel;
  /** The executor for every job, over the manifest's choice. */
  backend?: Backend;
}

/** Choices that change how the planned runs are carried out, never what they are. */
export interface ExecutionSettings {
  /** Over the manifest's `globals.skip_completed` when given. */
  skipCompleted?: boolean;
  dryRun: boolean;
  maxConcurrent?: number;
  /** Evaluate the launch's cohort once its runs are settled (never on a dry run). */
  evaluate: boolean;
}

export interface RunSettings {
  manifest: ManifestSource;
  /** The output directory as given (resolved against the working directory where it is used). */
  output: string;
  plan: PlanSettings;
  execution: ExecutionSettings;
}

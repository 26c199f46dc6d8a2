/** The parts of a launch request that come from the run's (journaled) spec: mounts, model and per-backend settings. */
import type { RunSpec } from "../domain/resources.js";
import type { LaunchRequest, LaunchSettings } from "./executor.js";
import { contractMounts } from "./mounts.js";

export function launchSettings(spec: Pick<RunSpec, "entrypoint" | "slurm">): LaunchSettings {
  const settings: LaunchSettings = {};
  if (spec.slurm) settings.slurm = spec.slurm;
  if (spec.entrypoint) settings.local = { entrypoint: spec.entrypoint };
  return settings;
}

export function launchFields(spec: RunSpec, workspaceDir: string): Pick<LaunchRequest, "mounts" | "model" | "settings"> {
  return {
    mounts: contractMounts(spec.datasetPath, workspaceDir),
    model: { slug: spec.model, version: spec.modelVersion, ...(spec.modelDirectory ? { directory: spec.modelDirectory } : {}) },
    settings: launchSettings(spec),
  };
}

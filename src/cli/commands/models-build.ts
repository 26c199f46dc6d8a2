import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { Errors, EXIT_OK, EXIT_RUN_FAILED } from "../../domain/errors.js";
import type { ModelResource } from "../../domain/resources.js";
import type { Io } from "../output.js";

/** Build paths in model.yaml are relative to the model's directory. */
export function buildPlan(model: ModelResource, baseImage?: string): { argv: string[]; context: string; dockerfile: string } {
  const dir = model.spec.directory;
  const build = model.spec.build;
  if (!dir || !build?.dockerfile) throw Errors.badModel(`model ${model.spec.slug} declares no build.dockerfile in its model.yaml`);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  const context = at(build.context ?? ".");
  const dockerfile = at(build.dockerfile);
  if (!existsSync(dockerfile)) throw Errors.badModel(`model ${model.spec.slug}: Dockerfile ${dockerfile} does not exist`, { location: { file: join(dir, "model.yaml"), field: "build.dockerfile" } });
  if (!existsSync(context)) throw Errors.badModel(`model ${model.spec.slug}: build context ${context} does not exist`, { location: { file: join(dir, "model.yaml"), field: "build.context" } });
  const argv = ["build", "-f", dockerfile, "-t", model.spec.runtime.image, "--label", `io.multiverse.model=${model.spec.slug}`, "--label", `io.multiverse.model-version=${model.spec.version}`];
  if (baseImage) argv.push("--build-arg", `BASE_IMAGE=${baseImage}`);
  argv.push(context);
  return { argv, context, dockerfile };
}

/** `multiverse models build <slug>`: the model's image with the local engine (docker build, streamed). */
export async function modelsBuildCommand(model: ModelResource, options: { baseImage?: string; quiet?: boolean }, io: Io): Promise<number> {
  if (model.spec.build?.unavailable) throw Errors.badModel(`model ${model.spec.slug} cannot be built here: ${model.spec.build.unavailable}`);
  const plan = buildPlan(model, options.baseImage ?? process.env.MULTIVERSE_BASE_IMAGE);
  io.err(`building ${model.spec.runtime.image} from ${plan.dockerfile}`);
  const code = await new Promise<number>((done) => {
    const child = spawn("docker", plan.argv, { stdio: ["ignore", options.quiet ? "ignore" : "inherit", "inherit"] });
    child.on("error", (error) => {
      io.err(`cannot run docker: ${error.message}`);
      done(127);
    });
    child.on("close", (c) => done(c ?? 1));
  });
  if (code !== 0) {
    io.err(`docker build failed (exit ${code}). Without registry access, build the local base first (scripts/build-base-image.sh) and pass --base-image multiverse-base:bookworm`);
    return EXIT_RUN_FAILED;
  }
  io.out(`built ${model.spec.runtime.image}`);
  return EXIT_OK;
}

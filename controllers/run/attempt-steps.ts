/**
 * The side effects of one attempt, each journaled before it acts (invariant 1): launch (intent, then the
 * engine), the exit's evidence (container log, then ATTEMPT_EXITED), validation of the outputs, the promotion
 * saga, and the closing lines of a settled attempt.
 */
import { join } from "node:path";
import type { AttemptObservation, Executor } from "../../src/executors/executor.js";
import { attemptHandle, LaunchError } from "../../src/executors/executor.js";
import { launchFields } from "../../src/executors/launch-fields.js";
import type { RunRecord } from "../../src/journal/run-records.js";
import { validateWorkspace } from "../../src/validation/validate-workspace.js";
import { copyFailedEvidence, promote } from "../../src/artifacts/promote.js";
import { verifyBundle } from "../../src/artifacts/verify.js";
import { formatMemLimit } from "../../src/manifest/mem-limit.js";
import { isStorageFull, isStorageReadOnly, storageProblem } from "../../src/domain/storage-errors.js";
import { CONTAINER_LOG, orchestratorLog, prepareWorkspace } from "../workspace.js";
import type { AdmissionLine } from "./admission.js";
import type { RunControllerDeps, RunControllerOptions } from "./run-deps.js";
import type { RunTransitions } from "./transitions.js";

export class AttemptSteps {
  private readonly finished = new Set<string>();

  constructor(
    private readonly deps: RunControllerDeps,
    private readonly options: RunControllerOptions,
    private readonly transitions: RunTransitions,
    private readonly admission: AdmissionLine,
    private readonly clock: () => Date,
  ) {}

  executorFor(record: RunRecord): Executor {
    return this.deps.executors.get(record.spec.backend);
  }

  async launch(record: RunRecord, attemptId: string, attempt: number): Promise<void> {
    const executor = this.executorFor(record);
    const workspaceDir = this.deps.layout.workspaceDir(attemptId);
    if (!record.launched.has(attemptId)) {
      try {
        prepareWorkspace(workspaceDir, record.spec, { runId: record.runId, attemptId });
      } catch (error) {
        if (!isStorageFull(error) && !isStorageReadOnly(error)) throw error;
        // No quick retry fixes a full or read-only disk: the attempt fails with the reason, the journal stays whole.
        this.transitions.apply(record, { type: "LAUNCH_FAILED", reason: "storage_full", message: `cannot prepare the workspace ${workspaceDir}: ${storageProblem(error)} (${(error as Error).message})` });
        return;
      }
      this.deps.writer.append([
        { type: "LAUNCH_INTENT", runId: record.runId, attemptId, attempt, executor: executor.backend, handle: attemptHandle(attemptId), workspaceDir },
      ]);
    }
    const memLimitBytes = this.admission.memLimit(record);
    const limits = memLimitBytes !== undefined ? `, memory limit ${formatMemLimit(memLimitBytes)}` : "";
    this.log(record, attemptId, `launching ${record.spec.image.reference} (${record.spec.image.kind} ${record.spec.image.digest}) as ${attemptHandle(attemptId)}${limits}`);
    const tracking = await this.deps.tracking?.beforeLaunch(record, attemptId);
    try {
      await executor.launch({
        attemptId,
        runId: record.runId,
        ownerId: this.deps.ownerId,
        image: record.spec.image.reference,
        ...launchFields(record.spec, workspaceDir),
        env: {
          ...tracking?.env,
          MULTIVERSE_LOG_LEVEL: this.options.logLevel,
          MULTIVERSE_RUN_ID: record.runId,
          MULTIVERSE_ATTEMPT_ID: attemptId,
        },
        memLimitBytes,
        cpus: record.spec.cpus,
        gpu: record.spec.gpu,
        timeoutSeconds: record.spec.timeoutSeconds,
        ...(tracking?.network ? { network: true } : {}),
      });
    } catch (error) {
      if (error instanceof LaunchError) {
        this.log(record, attemptId, `launch failed (${error.kind}): ${error.message}`);
        this.transitions.apply(record, { type: "LAUNCH_FAILED", reason: error.kind, message: error.message });
        return;
      }
      throw error;
    }
    this.transitions.apply(record, { type: "STARTED" });
    this.log(record, attemptId, "started");
  }

  /** Evidence first: the container's log and exit are recorded before the transition that follows it. */
  async collectLogs(record: RunRecord, attemptId: string, observation: AttemptObservation | undefined): Promise<void> {
    if (record.exited.has(attemptId)) return;
    const workspaceDir = this.deps.layout.workspaceDir(attemptId);
    try {
      await this.executorFor(record).collectLogs(attemptId, join(workspaceDir, CONTAINER_LOG));
    } catch (error) {
      this.log(record, attemptId, `could not collect the container log: ${(error as Error).message}`);
    }
    this.deps.writer.append([
      {
        type: "ATTEMPT_EXITED",
        runId: record.runId,
        attemptId,
        exitCode: observation?.exitCode ?? null,
        oomKilled: observation?.oomKilled ?? false,
        startedAt: observation?.startedAt,
        finishedAt: observation?.finishedAt,
      },
    ]);
    const code = observation?.state === "missing" ? "container missing" : `exit code ${observation?.exitCode ?? "unknown"}${observation?.oomKilled ? ", OOM-killed" : ""}`;
    this.log(record, attemptId, `attempt ended: ${code}`);
  }

  async validate(record: RunRecord, attemptId: string): Promise<void> {
    const workspaceDir = this.deps.layout.workspaceDir(attemptId);
    const result = await validateWorkspace(workspaceDir, { nObs: record.spec.nObs, level: record.spec.validators, limits: record.spec.outputLimits });
    for (const problem of result.problems) {
      this.log(record, attemptId, `validation ${problem.severity}: ${problem.artifact}: ${problem.code}: ${problem.message}`);
    }
    if (result.ok) {
      this.log(record, attemptId, `outputs validated at level ${record.spec.validators}`);
      this.transitions.apply(record, { type: "VALIDATION_PASSED" });
      return;
    }
    const errors = result.problems.filter((p) => p.severity === "error");
    const message = errors.map((p) => `${p.artifact}: ${p.code}: ${p.message}`).join("; ");
    this.transitions.apply(record, { type: "VALIDATION_FAILED", message });
  }

  async promote(record: RunRecord, attemptId: string): Promise<void> {
    const layout = this.deps.layout;
    const workspaceDir = layout.workspaceDir(attemptId);
    this.log(record, attemptId, "promoting");
    const validation = await validateWorkspace(workspaceDir, { nObs: record.spec.nObs, level: record.spec.validators, limits: record.spec.outputLimits });
    const artifactDir = layout.artifactDir(attemptId, record.spec.jobName);
    if (!validation.ok && !(await this.promotionAlreadyStaged(record, attemptId, artifactDir))) {
      // Outputs that passed validation no longer do (changed or damaged after a crash), and no staged copy
      // exists: neither promoting nor failing is safe to decide here. Keep everything and ask the operator.
      const problems = validation.problems.filter((p) => p.severity === "error").map((p) => `${p.artifact}: ${p.code}`).join("; ");
      const message = `outputs that passed validation no longer validate (${problems}); evidence kept in ${workspaceDir}; decide with: multiverse recover adopt|discard ${record.runId.slice(0, 12)}`;
      this.log(record, attemptId, `RECOVERY_PENDING: ${message}`);
      this.transitions.apply(record, { type: "RECOVERY_NEEDED", message });
      return;
    }
    this.deps.writer.append([{ type: "PROMOTION_INTENT", runId: record.runId, attemptId, stagingDir: layout.stagingDir(attemptId), artifactDir }]);
    try {
      const result = await promote({
        layout,
        runId: record.runId,
        attemptId,
        jobName: record.spec.jobName,
        spec: record.spec,
        artifacts: validation.artifacts,
        validation: {
          level: record.spec.validators,
          warnings: validation.problems.filter((p) => p.severity === "warning").map((p) => `${p.artifact}: ${p.code}: ${p.message}`),
          latentShape: validation.latentShape,
        },
        transitions: record.transitions.filter((t) => t.attemptId === attemptId || t.attemptId === undefined).map((t) => ({ from: t.from, to: t.to, event: t.event, ts: t.ts })),
        ownerToken: this.deps.ownerId,
        clock: this.clock,
        artifactDir,
        releaseWorkspace: true,
      });
      // After a crash between this record and the transition below, the saga reuses the bundle: record it once.
      if (!record.promotions.some((p) => p.attemptId === attemptId)) {
        this.deps.writer.append([{ type: "PROMOTED", runId: record.runId, attemptId, artifactDir: result.artifactDir, manifestSha256: result.manifestSha256 }]);
      }
      this.transitions.apply(record, { type: "PROMOTED", artifactDir: result.artifactDir });
      this.log(record, attemptId, `promoted to ${result.artifactDir}`);
    } catch (error) {
      const message = (error as Error).message;
      this.log(record, attemptId, `promotion failed: ${message}`);
      this.transitions.apply(record, { type: "PROMOTION_FAILED", message, ...(isStorageFull(error) ? { reason: "storage_full" as const } : {}) });
    }
  }

  /** Whether the saga can finish from its own staged or promoted copy of this attempt, without the workspace. */
  private async promotionAlreadyStaged(record: RunRecord, attemptId: string, artifactDir: string): Promise<boolean> {
    for (const dir of [artifactDir, this.deps.layout.stagingDir(attemptId)]) {
      const verification = await verifyBundle(dir);
      if (verification.ok && verification.manifest?.physical_run_id === attemptId && verification.manifest.logical_run_id === record.runId) return true;
    }
    return false;
  }

  async stop(record: RunRecord, attemptId: string, reason: "timeout" | "cancel"): Promise<void> {
    if (reason === "timeout") {
      record.timeoutIssued.add(attemptId);
      this.log(record, attemptId, `time limit of ${record.spec.timeoutSeconds}s exceeded: stopping the attempt`);
    } else {
      this.log(record, attemptId, `cancellation requested: stopping the attempt (grace ${this.options.graceSeconds}s)`);
    }
    await this.executorFor(record).cancel(attemptId, this.options.graceSeconds);
  }

  /** Runs once per settled attempt in this process: the closing lines of orchestrator.log and failed-run evidence. */
  async finish(record: RunRecord): Promise<void> {
    const attemptId = record.snapshot.context.attemptId;
    if (!attemptId || !record.launched.has(attemptId) || this.finished.has(attemptId)) return;
    this.finished.add(attemptId);
    const { reason, message } = record.snapshot.context;
    if (record.snapshot.value === "FAILED") {
      this.log(record, attemptId, `run FAILED: ${reason ?? "unknown"}: ${message ?? ""}`);
      const copied = await copyFailedEvidence(this.deps.layout, record.runId, record.spec.jobName, attemptId);
      if (copied) this.log(record, attemptId, `failed-run evidence copied to ${copied}`);
    } else if (record.snapshot.value === "CANCELLED") {
      this.log(record, attemptId, "run CANCELLED; workspace and logs kept");
    }
    await this.deps.tracking?.afterTerminal(record, attemptId);
  }

  log(record: RunRecord, attemptId: string, message: string): void {
    orchestratorLog(this.deps.layout.workspaceDir(attemptId), `[${record.name}] ${message}`, this.clock);
  }
}

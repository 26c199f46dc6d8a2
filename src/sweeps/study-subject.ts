/** A planned sweep's study as the tracking side describes it (the MLflow parent run). */
import type { RunSpec } from "../domain/resources.js";
import type { StudyOutcome, StudySubject } from "../tracking/study-projection.js";
import type { PlannedSweep } from "./sweep-plan.js";
import type { SweepStudyHooks } from "./sweep-session.js";

export function studySubjectOf(sweep: PlannedSweep, storageDisplay: string): StudySubject {
  return {
    studyName: sweep.studyName,
    storage: storageDisplay,
    benchmark: sweep.benchmark,
    jobName: sweep.jobName,
    direction: sweep.direction,
    optimizeMetric: sweep.optimizeMetric,
    nTrials: sweep.nTrials,
    sampler: sweep.sampler,
    searchSpace: sweep.searchSpace,
  };
}

/** The side that keeps each study's MLflow parent run (controllers/tracking-projector.ts). */
export interface StudyTracker {
  openStudy(subject: StudySubject, spec: RunSpec): void;
  finishStudy(subject: StudySubject, spec: RunSpec, outcome: StudyOutcome): Promise<string | undefined>;
}

export function studyTrackingHooks(tracker: StudyTracker): SweepStudyHooks {
  return {
    opened: (sweep, storage) => tracker.openStudy(studySubjectOf(sweep, storage), sweep.base),
    finished: (sweep, storage, outcome) => tracker.finishStudy(studySubjectOf(sweep, storage), sweep.base, outcome),
  };
}

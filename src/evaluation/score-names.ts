/** The names evaluation scores go by outside the evaluator: in MLflow (scib.<name>) and as a sweep's optimize_metric. */
export const SCORE_PREFIX = "scib.";
/** The evaluator's category scores (total = 0.6 x bio_conservation + 0.4 x batch_correction). */
export const CATEGORY_SCORES = ["bio_conservation", "batch_correction", "total"] as const;
export type CategoryScore = (typeof CATEGORY_SCORES)[number];

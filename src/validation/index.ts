export { validateWorkspace, type ValidateOptions, type ValidatedArtifact, type ValidationProblem, type ValidationResult, type ArtifactRole } from "./validate-workspace.js";
export { parseMetricsJson } from "./metrics-json.js";
export { isPng } from "./png.js";
export { DEFAULT_OUTPUT_LIMITS, OUTPUT_LIMIT_FIELDS, outputLimitsFromSnake, resolveOutputLimits, type OutputLimits } from "./output-limits.js";

export { validateWorkspace, type ValidatedArtifact, type ValidationProblem, type ValidationResult, type ArtifactRole } from "./validate-workspace.js";
export { parseMetricsJson } from "./metrics-json.js";
export { isPng } from "./png.js";

export { readH5muSummary, readLatent } from "./isolated.js";
export type { H5muSummary } from "./read-h5mu.js";
export { CorruptHdf5Error, isNumericDtype, type LatentSummary, type ReadLatentOptions } from "./read-latent.js";
export { writeH5mu, writeLatent, prng, H5MU_WRITER_VERSION, type SyntheticDatasetSpec, type SyntheticModality, type WriteLatentOptions } from "./write-h5mu.js";

export { readH5muSummary, type H5muSummary } from "./read-h5mu.js";
export { readLatent, CorruptHdf5Error, type LatentSummary } from "./read-latent.js";
export { writeH5mu, writeLatent, prng, type SyntheticDatasetSpec, type SyntheticModality } from "./write-h5mu.js";

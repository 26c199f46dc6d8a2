export { readH5muSummary, readLatent, h5ReaderPool } from "./isolated.js";
export { H5ReaderPool } from "./reader-pool.js";
export type { H5muSummary } from "./read-h5mu.js";
export type { LatentSummary, ReadLatentOptions } from "./read-latent.js";
export { CorruptHdf5Error, isNumericDtype, NotSelfContainedError } from "./h5-errors.js";
export { writeH5mu, writeLatent, prng, H5MU_WRITER_VERSION, type SyntheticDatasetSpec, type SyntheticModality, type WriteLatentOptions } from "./write-h5mu.js";

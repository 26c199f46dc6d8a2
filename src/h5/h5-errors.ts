/**
 * The HDF5 readers' errors and dtype names, without h5wasm: the main thread handles what the reader workers
 * report and must not load the HDF5 library (about 38 MiB) for that.
 */

export class CorruptHdf5Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CorruptHdf5Error";
  }
}

export class NotSelfContainedError extends Error {
  constructor(
    readonly objectPath: string,
    message: string,
  ) {
    super(message);
    this.name = "NotSelfContainedError";
  }
}

const H5WASM_NUMERIC: Record<string, string> = { e: "float16", f: "float32", d: "float64", b: "int8", h: "int16", i: "int32", q: "int64", B: "uint8", H: "uint16", I: "uint32", Q: "uint64" };

/** h5wasm's struct-style dtype ("<f", ">d", "<i", "S", compound arrays) as numpy names numbers: "float32", "int64". */
export function dtypeName(dtype: unknown): string {
  if (typeof dtype !== "string") return JSON.stringify(dtype);
  const numeric = /^[<>]([a-zA-Z])$/.exec(dtype);
  return (numeric && H5WASM_NUMERIC[numeric[1]!]) ?? dtype;
}

export function isNumericDtype(dtype: string): boolean {
  return /^(u?int|float)\d+$/.test(dtype);
}

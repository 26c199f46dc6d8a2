/** A JSON Schema document as plain data (ajv compiles it). */
export type JsonSchema = Record<string, unknown>;

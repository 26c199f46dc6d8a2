/** The output directory and store layout a state root belongs to (store: the root itself; simple: <out>/.multiverse). */
import { basename, dirname, join } from "node:path";
import { SIMPLE_STATE_DIR_NAME, storeLayout, type StoreLayout } from "../artifacts/layout.js";

export function layoutOfStateRoot(stateRoot: string): StoreLayout {
  return basename(stateRoot) === SIMPLE_STATE_DIR_NAME ? storeLayout(dirname(stateRoot), "simple") : storeLayout(stateRoot, "store");
}

/** Where `multiverse export` leaves its EXPORTED markers, one per bundle: <store>/exported/<bundle dir name>.json. */
export function exportedMarkerPath(layout: StoreLayout, bundleDir: string): string {
  return join(layout.storeDir, "exported", `${basename(bundleDir)}.EXPORTED.json`);
}

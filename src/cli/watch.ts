/** `get ... --watch`: print the list again whenever it changes, until interrupted. */
import type { Io } from "./output.js";

const WATCH_INTERVAL_MS = 1000;

export async function maybeWatch(watch: boolean | undefined, io: Io, render: (io: Io) => number): Promise<number> {
  if (!watch) return render(io);
  let previous = "";
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    while (!stopped) {
      const lines: string[] = [];
      const capture: Io = { out: (text) => lines.push(text), err: (text) => io.err(text), isTty: io.isTty };
      const code = render(capture);
      const text = lines.join("\n");
      if (text !== previous) {
        io.out(previous === "" ? text : `\n${new Date().toISOString()}\n${text}`);
        previous = text;
      }
      if (code !== 0) return code;
      await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
    }
    return 0;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

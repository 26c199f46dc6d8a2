/** Launch ids: a UTC timestamp to the second, then a short random suffix, so that they sort by time and never collide. */
import { randomBytes } from "node:crypto";

const LAUNCH_ID = /^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$/;

export function newLaunchId(now: Date = new Date(), random: () => string = () => randomBytes(3).toString("hex")): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.[0-9]+Z$/, "Z");
  return `${stamp}-${random()}`;
}

export function isLaunchId(value: string): boolean {
  return LAUNCH_ID.test(value);
}

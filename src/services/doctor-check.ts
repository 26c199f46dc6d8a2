/** One line of `multiverse doctor`'s report: what was checked, its verdict and why. */
export type CheckStatus = "ok" | "warning" | "blocked" | "skipped";

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, the decision alone (client-go's leaderelection, pure): from
 * the Lease as observed and the local clock, whether to create it, take it over, renew it or wait. Expiry is
 * judged by when this process last saw the Lease change (its own clock), never by the renewTime written by
 * another machine's clock: a holder that stops renewing is taken over one lease duration after its last renewal
 * was seen here.
 */
export interface LeaseView {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: number;
  renewTime?: number;
  leaseTransitions?: number;
}

/** The Lease record last seen and when (local ms) it was first seen like this. */
export interface LeaseObservation {
  key: string;
  at: number;
}

export interface LeaseWish {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: number;
  renewTime: number;
  leaseTransitions: number;
}

export type LeaseDecision =
  | { kind: "create"; lease: LeaseWish }
  | { kind: "acquire"; lease: LeaseWish; previousHolder?: string }
  | { kind: "renew"; lease: LeaseWish }
  | { kind: "wait"; holder: string; expiresInMs: number };

export interface LeaseDecisionInput {
  /** The Lease on the server; undefined when it does not exist. */
  lease: LeaseView | undefined;
  observation: LeaseObservation | undefined;
  now: number;
  identity: string;
  leaseDurationMs: number;
}

export function observationKey(lease: LeaseView): string {
  return JSON.stringify([lease.holderIdentity ?? "", lease.renewTime ?? null, lease.acquireTime ?? null, lease.leaseTransitions ?? 0, lease.leaseDurationSeconds ?? null]);
}

export function decideLease(input: LeaseDecisionInput): { decision: LeaseDecision; observation: LeaseObservation | undefined } {
  const { lease, now, identity, leaseDurationMs } = input;
  const seconds = Math.max(1, Math.ceil(leaseDurationMs / 1000));
  if (!lease) {
    return { decision: { kind: "create", lease: { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } }, observation: undefined };
  }
  const key = observationKey(lease);
  const observation = input.observation?.key === key ? input.observation : { key, at: now };
  const holder = lease.holderIdentity ?? "";
  const transitions = lease.leaseTransitions ?? 0;
  if (holder === identity) {
    return { decision: { kind: "renew", lease: { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: lease.acquireTime ?? now, renewTime: now, leaseTransitions: transitions } }, observation };
  }
  const takeOver = { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: transitions + 1 };
  if (holder === "") return { decision: { kind: "acquire", lease: takeOver }, observation };
  const heldForMs = (lease.leaseDurationSeconds ?? seconds) * 1000;
  const expiresInMs = observation.at + heldForMs - now;
  if (expiresInMs <= 0) return { decision: { kind: "acquire", lease: takeOver, previousHolder: holder }, observation };
  return { decision: { kind: "wait", holder, expiresInMs }, observation };
}

/**
 * Whether a leader that could not renew has lost: once renewDeadline has passed since its last successful renewal
 * it must stop (before the others may take over at leaseDuration).
 */
export function renewalExpired(lastRenewedAt: number, now: number, renewDeadlineMs: number): boolean {
  return now - lastRenewedAt >= renewDeadlineMs;
}

export interface ElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** client-go's rules: leaseDuration > renewDeadline > retryPeriod (with jitter room), all positive. */
export function timingProblem(t: ElectionTimings): string | undefined {
  if (!(t.retryPeriodMs > 0)) return "--leader-elect-retry-period must be positive";
  if (!(t.renewDeadlineMs > t.retryPeriodMs * 1.2)) return "--leader-elect-renew-deadline must be more than 1.2 times --leader-elect-retry-period";
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) return "--leader-elect-lease-duration must be longer than --leader-elect-renew-deadline";
  return undefined;
}

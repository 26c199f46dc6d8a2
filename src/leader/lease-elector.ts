/**
 * Leader election, the I/O: reads and writes the Lease (optimistic concurrency through its resourceVersion: two
 * candidates writing at once, one gets 409 and looks again), asks lease-decision.ts what to do, and, once leader,
 * renews every retry period. A leader that cannot renew within the renew deadline, or sees another holder, has
 * lost: `onLost` is called once and the process must stop reconciling (controller-runtime exits).
 */
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { apiMessageOf } from "../sources/kubernetes/kube-api.js";
import { httpStatusOf } from "../executors/kubernetes/kube-errors.js";
import { decideLease, renewalExpired, type LeaseObservation, type LeaseView, type LeaseWish } from "./lease-decision.js";

/** What tryOnce says when another writer changed the Lease between its read and its write. */
const CONFLICT = "another candidate (conflicting write)";

export interface StoredLease {
  view: LeaseView;
  resourceVersion: string;
}

export interface LeaseApi {
  get(namespace: string, name: string): Promise<StoredLease | undefined>;
  /** Creates, or replaces the version given; false when another writer won (409 Conflict / 409 AlreadyExists). */
  write(namespace: string, name: string, wish: LeaseWish, resourceVersion?: string): Promise<boolean>;
}

export class ClientLeaseApi implements LeaseApi {
  private readonly api: CoordinationV1Api;

  constructor(config: KubeConfig) {
    this.api = config.makeApiClient(CoordinationV1Api);
  }

  async get(namespace: string, name: string): Promise<StoredLease | undefined> {
    try {
      const lease = await this.api.readNamespacedLease({ namespace, name });
      const spec = lease.spec ?? {};
      const view: LeaseView = {};
      if (spec.holderIdentity !== undefined) view.holderIdentity = spec.holderIdentity;
      if (spec.leaseDurationSeconds !== undefined) view.leaseDurationSeconds = spec.leaseDurationSeconds;
      if (spec.acquireTime) view.acquireTime = new Date(spec.acquireTime).getTime();
      if (spec.renewTime) view.renewTime = new Date(spec.renewTime).getTime();
      if (spec.leaseTransitions !== undefined) view.leaseTransitions = spec.leaseTransitions;
      return { view, resourceVersion: lease.metadata?.resourceVersion ?? "" };
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async write(namespace: string, name: string, wish: LeaseWish, resourceVersion?: string): Promise<boolean> {
    const body: V1Lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace, ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
      spec: {
        holderIdentity: wish.holderIdentity,
        leaseDurationSeconds: wish.leaseDurationSeconds,
        acquireTime: new V1MicroTime(wish.acquireTime),
        renewTime: new V1MicroTime(wish.renewTime),
        leaseTransitions: wish.leaseTransitions,
      },
    };
    try {
      if (resourceVersion === undefined) await this.api.createNamespacedLease({ namespace, body });
      else await this.api.replaceNamespacedLease({ namespace, name, body });
      return true;
    } catch (error) {
      if (httpStatusOf(error) === 409) return false;
      throw error;
    }
  }
}

export interface LeaseElectorOptions {
  api: LeaseApi;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: (line: string) => void;
  clock?: () => number;
}

export class LeaseElector {
  private observation: LeaseObservation | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  private leading = false;
  private lastRenewedAt = 0;
  private readonly clock: () => number;

  constructor(private readonly options: LeaseElectorOptions) {
    this.clock = options.clock ?? Date.now;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Resolves true once this process holds the Lease, false if stopped first. */
  async acquire(): Promise<boolean> {
    let waitingFor: string | undefined;
    while (!this.stopped) {
      try {
        const outcome = await this.tryOnce();
        if (outcome === "leader") {
          this.leading = true;
          this.lastRenewedAt = this.clock();
          this.options.log(`leader election: ${this.options.identity} holds lease ${this.options.namespace}/${this.options.name}`);
          return true;
        }
        if (outcome !== waitingFor) this.options.log(`leader election: lease ${this.options.namespace}/${this.options.name} is held by ${outcome}; waiting`);
        waitingFor = outcome;
      } catch (error) {
        this.options.log(`leader election: ${apiMessageOf(error)}; retrying`);
      }
      await this.sleep(this.options.retryPeriodMs);
    }
    return false;
  }

  /** Renews every retry period; calls onLost once when the lease is lost. */
  hold(onLost: (reason: string) => void): void {
    const tick = async (): Promise<void> => {
      if (this.stopped || !this.leading) return;
      let reason: string | undefined;
      try {
        const outcome = await this.tryOnce();
        if (outcome === "leader") this.lastRenewedAt = this.clock();
        // A conflicting write is looked at again next time (the deadline below still applies).
        else if (outcome !== CONFLICT) reason = `lease ${this.options.namespace}/${this.options.name} is now held by ${outcome}`;
      } catch (error) {
        if (renewalExpired(this.lastRenewedAt, this.clock(), this.options.renewDeadlineMs)) reason = `could not renew lease ${this.options.namespace}/${this.options.name} within ${this.options.renewDeadlineMs} ms: ${apiMessageOf(error)}`;
      }
      if (!reason && renewalExpired(this.lastRenewedAt, this.clock(), this.options.renewDeadlineMs)) reason = `lease ${this.options.namespace}/${this.options.name} not renewed within ${this.options.renewDeadlineMs} ms`;
      if (reason) {
        this.leading = false;
        onLost(reason);
        return;
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.options.retryPeriodMs);
    };
    this.timer = setTimeout(() => void tick(), this.options.retryPeriodMs);
  }

  /** Stops renewing; a leader hands the lease back (holder cleared) so a follower takes over at once. */
  async release(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    if (!this.leading) return;
    this.leading = false;
    try {
      const stored = await this.options.api.get(this.options.namespace, this.options.name);
      if (stored?.view.holderIdentity !== this.options.identity) return;
      const now = this.clock();
      await this.options.api.write(this.options.namespace, this.options.name, { holderIdentity: "", leaseDurationSeconds: 1, acquireTime: stored.view.acquireTime ?? now, renewTime: now, leaseTransitions: stored.view.leaseTransitions ?? 0 }, stored.resourceVersion);
    } catch (error) {
      this.options.log(`leader election: could not release the lease: ${apiMessageOf(error)}`);
    }
  }

  /** "leader" when this process holds the lease after this attempt, else the holder's identity. */
  private async tryOnce(): Promise<string> {
    const stored = await this.options.api.get(this.options.namespace, this.options.name);
    const { decision, observation } = decideLease({ lease: stored?.view, observation: this.observation, now: this.clock(), identity: this.options.identity, leaseDurationMs: this.options.leaseDurationMs });
    this.observation = observation;
    if (decision.kind === "wait") return decision.holder;
    if (decision.kind === "acquire" && decision.previousHolder) this.options.log(`leader election: lease of ${decision.previousHolder} expired; taking over`);
    const won = await this.options.api.write(this.options.namespace, this.options.name, decision.lease, stored?.resourceVersion);
    return won ? "leader" : CONFLICT;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
}

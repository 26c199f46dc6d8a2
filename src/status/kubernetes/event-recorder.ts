/**
 * Kubernetes Events (core/v1) for transitions, as `kubectl describe` shows them. Best effort and bounded: a few
 * are sent at once, the rest wait in a queue of limited length (the oldest are dropped when it is full), and a
 * failure is logged, never retried: Events are a courtesy, the journal is the record.
 */
import { randomBytes } from "node:crypto";
import type { CoreV1Event } from "@kubernetes/client-node";
import { apiMessageOf, type KubeApi } from "../../sources/kubernetes/kube-api.js";
import { FIELD_MANAGER } from "../../sources/kubernetes/kube-objects.js";

export interface EventTarget {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

const MAX_QUEUED = 1000;
const CONCURRENCY = 2;

export class EventRecorder {
  private readonly queue: CoreV1Event[] = [];
  private inFlight = 0;
  private lastErrorLog = 0;
  private stopped = false;
  sent = 0;

  constructor(private readonly api: KubeApi, private readonly log: (line: string) => void = () => undefined, private readonly clock: () => Date = () => new Date()) {}

  record(target: EventTarget, type: "Normal" | "Warning", reason: string, message: string): void {
    if (this.stopped) return;
    const now = this.clock();
    this.queue.push({
      metadata: { name: `${target.name.slice(0, 230)}.${randomBytes(8).toString("hex")}`, namespace: target.namespace },
      involvedObject: { apiVersion: target.apiVersion, kind: target.kind, name: target.name, namespace: target.namespace, ...(target.uid ? { uid: target.uid } : {}) },
      type,
      reason,
      message: message.slice(0, 1024),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      source: { component: FIELD_MANAGER },
      reportingComponent: FIELD_MANAGER,
      reportingInstance: FIELD_MANAGER,
    });
    if (this.queue.length > MAX_QUEUED) this.queue.shift();
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < CONCURRENCY && this.queue.length > 0) {
      const event = this.queue.shift()!;
      this.inFlight += 1;
      this.api
        .createEvent(event.metadata.namespace!, event)
        .then(() => void (this.sent += 1))
        .catch((error: unknown) => {
          if (Date.now() - this.lastErrorLog > 60_000) {
            this.lastErrorLog = Date.now();
            this.log(`kubernetes events: ${apiMessageOf(error)} (events are best effort)`);
          }
        })
        .finally(() => {
          this.inFlight -= 1;
          this.pump();
        });
    }
  }
}

/** What the mock agent saw of one `POST /agent/message/stream`. Updated in place until it ends. */
export interface RequestRecord {
  /** 1, 2, 3… in arrival order (restarts at 1 after a reset). */
  id: number;
  method: string;
  path: string;
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** The scenario that answered (`default` for the built-in agent); `null` when the request was refused first. */
  scenario: string | null;
  /** HTTP status answered; `null` while pending and when no response was sent (reset, hang). */
  status: number | null;
  /** Epoch milliseconds, with fractions. */
  startedAt: number;
  /** Epoch milliseconds when the response ended, was cut, or the client went away; `null` while in progress. */
  endedAt: number | null;
  /** True when the client went away before the response completed. */
  aborted: boolean;
}

export interface ConnectionStats {
  /** TCP connections accepted since start (or since the last reset). */
  total: number;
  /** TCP connections open now. */
  open: number;
}

export interface Recorder {
  /** Live list: records are appended and updated in place. */
  readonly requests: readonly RequestRecord[];
  /** A snapshot of the connection counters (kept by the runtime's server wrapper). */
  readonly connections: ConnectionStats;
  begin(init: Pick<RequestRecord, 'method' | 'path' | 'headers' | 'body'>): RequestRecord;
  update(record: RequestRecord, patch: Partial<Pick<RequestRecord, 'scenario' | 'status'>>): void;
  /** Marks the record ended; later calls are ignored. */
  end(record: RequestRecord, outcome: { aborted: boolean }): void;
  connectionOpened(): void;
  connectionClosed(): void;
  /** Forgets every record and restarts ids at 1; `connections.total` restarts at 0. */
  reset(): void;
  /**
   * Resolves with the predicate's first truthy result, checked now and after
   * every change; rejects after `timeoutMs`.
   */
  waitFor<T>(predicate: (recorder: Recorder) => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

export const now = (): number => performance.timeOrigin + performance.now();

export function createRecorder(): Recorder {
  const requests: RequestRecord[] = [];
  const listeners = new Set<() => void>();
  let nextId = 1;
  let total = 0;
  let open = 0;

  const changed = () => {
    for (const listener of [...listeners]) listener();
  };

  const recorder: Recorder = {
    requests,
    get connections() {
      return { total, open };
    },
    begin(init) {
      const record: RequestRecord = {
        id: nextId++,
        ...init,
        scenario: null,
        status: null,
        startedAt: now(),
        endedAt: null,
        aborted: false,
      };
      requests.push(record);
      changed();
      return record;
    },
    update(record, patch) {
      Object.assign(record, patch);
      changed();
    },
    end(record, { aborted }) {
      if (record.endedAt !== null) return;
      record.endedAt = now();
      record.aborted = aborted;
      changed();
    },
    connectionOpened() {
      total += 1;
      open += 1;
      changed();
    },
    connectionClosed() {
      open = Math.max(0, open - 1);
      changed();
    },
    reset() {
      requests.length = 0;
      nextId = 1;
      total = 0;
      changed();
    },
    waitFor(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          let value;
          try {
            value = predicate(recorder);
          } catch (error) {
            finish();
            reject(error);
            return;
          }
          if (value) {
            finish();
            resolve(value);
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`recorder.waitFor timed out after ${timeoutMs} ms; requests: ${JSON.stringify(requests)}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return recorder;
}

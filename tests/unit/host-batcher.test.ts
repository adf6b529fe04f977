// The one per-host batcher (providers/ssh/batcher.ts) that OVS changes and config.xml edits both queue on: which
// items form one batch, on which host, and how each item gets its own result or error. Timers are Jest's fake
// timers, so the windows are exact, not raced against a loaded machine. The pause before a config.xml batch tries
// again (session.ts retryDelayMs) is checked here too.
import { submitToHost, type HostBatch, type HostBatcher } from "../../providers/ssh/batcher";
import type { SshEndpoint, SshHost } from "../../providers/ssh/types";
import { retryDelayMs } from "../../providers/pfsense/remote/session";

interface Recorded {
  hostId: string;
  username: string;
  inputs: string[];
  /** Fake-clock time the batch started. */
  at: number;
}

let seq = 0;
let t0 = 0;

/** A batcher whose run records its batches and answers "<input>@<hostId>", or fails as `fail` says. */
function recordingBatcher(opts: { fail?: (b: HostBatch<string, string>) => Error | undefined; maxItems?: number; holdMs?: number } = {}) {
  const batches: Recorded[] = [];
  const connects: string[] = [];
  const batcher: HostBatcher<string, string> = {
    key: `__pfsenseHaTestBatcher${++seq}`,
    settleMs: 60,
    maxWaitMs: 1000,
    maxItems: opts.maxItems === undefined ? undefined : () => opts.maxItems!,
    connect: async (ep: SshEndpoint) => {
      connects.push(`${ep.username}@${ep.host}:${ep.port ?? 22}`);
      return {} as SshHost;
    },
    run: async (b) => {
      batches.push({ hostId: b.hostId, username: b.endpoint.username, inputs: b.items.map((i) => i.input), at: Date.now() - t0 });
      if (opts.holdMs) await new Promise((r) => setTimeout(r, opts.holdMs));
      const err = opts.fail?.(b);
      if (err) throw err;
      for (const i of b.items) i.resolve(`${i.input}@${b.hostId}`);
    },
  };
  return { batcher, batches, connects };
}

/** A batcher on a stub connection (or `connect`) whose batches run `run`. */
function batcherWith(run: HostBatcher<string, string>["run"], connect: HostBatcher<string, string>["connect"] = async () => ({}) as SshHost): HostBatcher<string, string> {
  return { key: `__pfsenseHaTestBatcher${++seq}`, connect, run };
}

const fw1: SshEndpoint = { host: "10.0.0.11", username: "root", privateKeyPath: "/k", hostKeySha256: "SHA256:x" };
const fw1Admin: SshEndpoint = { ...fw1, username: "admin" };
const fw2: SshEndpoint = { ...fw1, host: "10.0.0.12" };
const fw1OtherPort: SshEndpoint = { ...fw1, port: 2222 };

beforeEach(() => {
  jest.useFakeTimers();
  t0 = Date.now();
});
afterEach(() => jest.useRealTimers());

test("items arriving within the settle window of the last one form one batch, started 60 ms after the last", async () => {
  const { batcher, batches, connects } = recordingBatcher();
  const a = submitToHost(batcher, fw1, "a");
  await jest.advanceTimersByTimeAsync(40);
  const b = submitToHost(batcher, fw1, "b");
  await jest.advanceTimersByTimeAsync(40); // 80 ms after a: a alone would have started at 60
  const c = submitToHost(batcher, fw1, "c");
  await jest.advanceTimersByTimeAsync(59);
  expect(batches).toEqual([]);
  await jest.advanceTimersByTimeAsync(1);
  expect(await Promise.all([a, b, c])).toEqual(["a@10.0.0.11:22", "b@10.0.0.11:22", "c@10.0.0.11:22"]);
  expect(batches).toEqual([{ hostId: "10.0.0.11:22", username: "root", inputs: ["a", "b", "c"], at: 140 }]);
  expect(connects).toEqual(["root@10.0.0.11:22"]); // one connection for the whole batch
});

test("a steady stream is cut into a batch 1000 ms after its first item", async () => {
  const { batcher, batches } = recordingBatcher();
  const all: Promise<string>[] = [];
  for (let i = 0; i < 30; i++) {
    all.push(submitToHost(batcher, fw1, `i${i}`));
    await jest.advanceTimersByTimeAsync(50); // always inside the 60 ms window
  }
  await jest.advanceTimersByTimeAsync(60);
  await Promise.all(all);
  expect(batches.map((b) => [b.at, b.inputs.length])).toEqual([
    [1000, 20],
    [1510, 10],
  ]);
});

test("separate hosts are separate batches; one host is one batch whatever user reaches it", async () => {
  const { batcher, batches, connects } = recordingBatcher();
  const results = Promise.all([
    submitToHost(batcher, fw1, "a"),
    submitToHost(batcher, fw2, "b"),
    submitToHost(batcher, fw1Admin, "c"),
    submitToHost(batcher, fw1OtherPort, "d"),
  ]);
  await jest.advanceTimersByTimeAsync(60);
  expect(await results).toEqual(["a@10.0.0.11:22", "b@10.0.0.12:22", "c@10.0.0.11:22", "d@10.0.0.11:2222"]);
  expect(batches.sort((x, y) => x.hostId.localeCompare(y.hostId))).toEqual([
    // the newest endpoint submitted for a host is the one connected with
    { hostId: "10.0.0.11:22", username: "admin", inputs: ["a", "c"], at: 60 },
    { hostId: "10.0.0.11:2222", username: "root", inputs: ["d"], at: 60 },
    { hostId: "10.0.0.12:22", username: "root", inputs: ["b"], at: 60 },
  ]);
  expect(connects.sort()).toEqual(["admin@10.0.0.11:22", "root@10.0.0.11:2222", "root@10.0.0.12:22"]);
});

test("a failing batch fails exactly its own items, with its error", async () => {
  const boom = new Error("10.0.0.12: install failed: disk full");
  const { batcher } = recordingBatcher({ fail: (b) => (b.hostId === "10.0.0.12:22" ? boom : undefined) });
  const settled = Promise.allSettled([
    submitToHost(batcher, fw1, "a"),
    submitToHost(batcher, fw2, "b"),
    submitToHost(batcher, fw2, "c"),
    submitToHost(batcher, fw1, "d"),
  ]);
  await jest.advanceTimersByTimeAsync(60);
  expect(await settled).toEqual([
    { status: "fulfilled", value: "a@10.0.0.11:22" },
    { status: "rejected", reason: boom },
    { status: "rejected", reason: boom },
    { status: "fulfilled", value: "d@10.0.0.11:22" },
  ]);
});

test("run settles items one by one: a rejected item fails alone, the others keep their results", async () => {
  const batcher = batcherWith(async ({ items }) => {
    for (const i of items) {
      if (i.input === "bad") i.reject(new Error("bad: clash with vhid 3"));
      else i.resolve(`${i.input} ok`);
    }
  });
  const settled = Promise.allSettled(["x", "bad", "y"].map((i) => submitToHost(batcher, fw1, i)));
  await jest.advanceTimersByTimeAsync(60);
  expect(await settled).toEqual([
    { status: "fulfilled", value: "x ok" },
    { status: "rejected", reason: new Error("bad: clash with vhid 3") },
    { status: "fulfilled", value: "y ok" },
  ]);
});

test("an item run leaves unsettled fails with an error saying so; settling twice keeps the first outcome", async () => {
  const batcher = batcherWith(async ({ items }) => {
    items[0].resolve("first");
    items[0].reject(new Error("second"));
  });
  const settled = Promise.allSettled([submitToHost(batcher, fw1, "a"), submitToHost(batcher, fw1, "b")]);
  await jest.advanceTimersByTimeAsync(60);
  expect(await settled).toEqual([
    { status: "fulfilled", value: "first" },
    { status: "rejected", reason: new Error("10.0.0.11:22: the batch ended without a result for this item (a bug in pfsense-ha; run again)") },
  ]);
});

test("a failed connection fails every item of the batch with the connection's error, without running it", async () => {
  const refused = new Error("ssh root@10.0.0.11:22: connect ECONNREFUSED");
  let runs = 0;
  const batcher = batcherWith(
    async () => void runs++,
    async () => {
      throw refused;
    },
  );
  const settled = Promise.allSettled([submitToHost(batcher, fw1, "a"), submitToHost(batcher, fw1, "b")]);
  await jest.advanceTimersByTimeAsync(60);
  expect(await settled).toEqual([
    { status: "rejected", reason: refused },
    { status: "rejected", reason: refused },
  ]);
  expect(runs).toBe(0);
});

test("an item after a flush starts a new batch; items arriving while a batch runs wait for it", async () => {
  const { batcher, batches } = recordingBatcher({ holdMs: 500 });
  const a = submitToHost(batcher, fw1, "a");
  await jest.advanceTimersByTimeAsync(100); // batch [a] started at 60 and runs until 560
  const b = submitToHost(batcher, fw1, "b");
  await jest.advanceTimersByTimeAsync(100);
  const c = submitToHost(batcher, fw1, "c");
  await jest.advanceTimersByTimeAsync(359); // 559: batch [a] still running
  expect(batches.map((x) => x.inputs)).toEqual([["a"]]);
  await jest.advanceTimersByTimeAsync(1); // 560: [a] ends; b and c have waited longer than the window: start now
  expect(await a).toBe("a@10.0.0.11:22");
  expect(batches.map((x) => [x.at, x.inputs])).toEqual([
    [60, ["a"]],
    [560, ["b", "c"]],
  ]);
  await jest.advanceTimersByTimeAsync(500);
  expect(await Promise.all([b, c])).toEqual(["b@10.0.0.11:22", "c@10.0.0.11:22"]);
  const d = submitToHost(batcher, fw1, "d"); // at 1060, the host idle again
  await jest.advanceTimersByTimeAsync(560);
  expect(await d).toBe("d@10.0.0.11:22");
  expect(batches.map((x) => [x.at, x.inputs])).toEqual([
    [60, ["a"]],
    [560, ["b", "c"]],
    [1120, ["d"]],
  ]);
});

test("maxItems 1 (the benchmarks' no-batching baseline) runs each item as its own batch, one after another", async () => {
  const { batcher, batches } = recordingBatcher({ maxItems: 1 });
  const all = Promise.all(["a", "b", "c"].map((i) => submitToHost(batcher, fw1, i)));
  await jest.advanceTimersByTimeAsync(60);
  expect(await all).toEqual(["a@10.0.0.11:22", "b@10.0.0.11:22", "c@10.0.0.11:22"]);
  expect(batches.map((x) => [x.at, x.inputs])).toEqual([
    [60, ["a"]],
    [60, ["b"]],
    [60, ["c"]],
  ]);
});

describe("the pause before a config.xml batch tries again (retryDelayMs): random, doubling, capped", () => {
  test("none before the first attempt; at most 200, 400, 800 ms before attempts 2-4; never more than 1.6 s", () => {
    const top = (): number => 0.9999;
    expect(retryDelayMs(1, top)).toBe(0);
    expect([2, 3, 4, 5, 6, 12].map((a) => retryDelayMs(a, top))).toEqual([199, 399, 799, 1599, 1599, 1599]);
    expect([2, 5, 12].map((a) => retryDelayMs(a, () => 0))).toEqual([0, 0, 0]);
    expect(retryDelayMs(3, () => 0.5)).toBe(200);
  });
});

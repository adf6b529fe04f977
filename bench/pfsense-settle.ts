// The cost of the settle window on a node that receives XMLRPC syncs (providers/pfsense/remote/settle.ts): sequential
// one-edit batches on the lab's fw2 (no hasync/synchronizetoip: it receives syncs, so every batch waits the window,
// then reads config.xml back under pfSense's lock('xmlrpc')). Windows: 0 (the floor), the default, and 2000 ms
// (the window before the read-back took the lock). Last line machine-readable.
import { labExec, loadInventory, sshEndpointOf, type LabInventory } from "../lab/inventory";
import { closeAllHosts } from "../providers/ssh";
import { ensurePath, setValue } from "../providers/pfsense/codec-tree";
import { setSyncSettleMs, submitEdit, SYNC_SETTLE_MS } from "../providers/pfsense/remote";
import { runBench } from "./targets";

const BATCHES = process.argv.includes("--quick") ? 3 : 6;

async function reset(inv: LabInventory): Promise<void> {
  const r = await labExec(inv, "fw2", "php /usr/local/share/pfha-lab/seed.php fw2 fw1 >/dev/null && rm -rf /cf/conf/backup /tmp/config.cache /var/log/pfha-lab/apply.log && mkdir -p /cf/conf/backup");
  if (r.code !== 0) throw new Error(`reset fw2: ${r.stderr}`);
}

async function run(inv: LabInventory, settleMs: number): Promise<number> {
  await reset(inv);
  setSyncSettleMs(settleMs);
  const endpoint = sshEndpointOf(inv.hosts.fw2, inv);
  // one warm-up batch (connection set-up) not counted
  // each batch: a new pfsync host id (the secondary's own hasync setting: installed and applied, as the sync race test does)
  // (an edit is replayed on the read-back, so it must be idempotent: the value is fixed per batch)
  const edit = (i: number) => submitEdit(endpoint, {
    label: `settle bench ${settleMs} ${i}`,
    edit: (doc) => void setValue(doc, ensurePath(doc.root, "hasync"), "pfhostid", (0x60000 + settleMs * 16 + i).toString(16).padStart(8, "0")),
  });
  await edit(BATCHES);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < BATCHES; i++) await edit(i);
  return Number(process.hrtime.bigint() - t0) / 1e9 / BATCHES;
}

async function main(): Promise<void> {
  const inv = loadInventory();
  const rows: { settleMs: number; perBatchS: number }[] = [];
  try {
    for (const ms of [0, SYNC_SETTLE_MS, 2000]) rows.push({ settleMs: ms, perBatchS: await run(inv, ms) });
  } finally {
    await closeAllHosts();
  }
  console.log(`| settle window (ms) | s per one-edit batch on fw2 (mean of ${BATCHES}) |`);
  console.log("| --- | --- |");
  for (const r of rows) console.log(`| ${r.settleMs}${r.settleMs === SYNC_SETTLE_MS ? " (default)" : ""} | ${r.perBatchS.toFixed(2)} |`);
  const floor = rows[0].perBatchS;
  const now = rows[1].perBatchS - floor;
  const before = rows[2].perBatchS - floor;
  console.log(`settle window costs ${now.toFixed(2)} s per batch now (${SYNC_SETTLE_MS} ms), ${before.toFixed(2)} s at 2000 ms`);
  console.log(JSON.stringify({ bench: "pfsense-settle", batches: BATCHES, rows, costNowS: Number(now.toFixed(3)), cost2000S: Number(before.toFixed(3)) }));
}

runBench(main);

// The drill's traffic probe, pure: the script a client host behind the firewall runs during a drill (iputils ping
// every 50-100 ms through the LAN VIP, and one TCP connection held through the firewall, kept busy with HTTP/1.1
// keep-alive HEAD requests), and the parsing of what it printed into loss, longest gap and session survival.
import { isIPv4 } from "net";
import { shq } from "../shell/quote";

export interface ProbeSpec {
  /** Pinged through the firewall (the client's gateway is the LAN VIP). */
  pingTarget: string;
  /** An HTTP server beyond the firewall; one connection is held for the whole drill. */
  tcp?: { host: string; port: number };
  /** Between two pings, ms (50-1000). */
  intervalMs: number;
  /** Between two requests on the TCP connection, ms. */
  tcpIntervalMs: number;
  /** The probe stops by itself after this long, s (the drill stops it earlier). */
  maxS: number;
  /** Names the stop file; [a-z0-9]. */
  token: string;
}

export const PROBE_MARK = "@@probe ";

export function validateProbeSpec(p: ProbeSpec): string | undefined {
  if (!isIPv4(p.pingTarget)) return `--ping ${JSON.stringify(p.pingTarget)} is not an IPv4 address: give the address to ping through the firewall (e.g. the WAN gateway)`;
  if (p.tcp && !isIPv4(p.tcp.host)) return `--tcp host ${JSON.stringify(p.tcp.host)} is not an IPv4 address: give ADDRESS:PORT of an HTTP server beyond the firewall`;
  if (p.tcp && !(Number.isInteger(p.tcp.port) && p.tcp.port >= 1 && p.tcp.port <= 65535)) return `--tcp port ${p.tcp.port} is invalid: use 1-65535`;
  if (!(Number.isInteger(p.intervalMs) && p.intervalMs >= 50 && p.intervalMs <= 1000)) return `--interval ${p.intervalMs} is invalid: use 50-1000 ms`;
  if (!(Number.isInteger(p.tcpIntervalMs) && p.tcpIntervalMs >= 50 && p.tcpIntervalMs <= 5000)) return `TCP interval ${p.tcpIntervalMs} is invalid: use 50-5000 ms`;
  if (!(Number.isInteger(p.maxS) && p.maxS >= 1 && p.maxS <= 86400)) return `probe duration ${p.maxS} is invalid: use 1-86400 s`;
  if (!/^[a-z0-9]{1,32}$/.test(p.token)) return `probe token ${JSON.stringify(p.token)} is invalid`;
  return undefined;
}

export function stopFileOf(token: string): string {
  return `/tmp/pfha-drill-probe-${token}.stop`;
}

/** The probe as one bash script (run with `bash -c`); needs bash and iputils ping (root, for intervals < 200 ms). */
export function probeScript(p: ProbeSpec): string {
  const bad = validateProbeSpec(p);
  if (bad) throw new Error(bad);
  const secs = (ms: number) => (ms / 1000).toFixed(3);
  const tcp = p.tcp
    ? [
        "tcp_loop() {",
        // a write after the peer's reset must fail (EPIPE, reported), not kill the loop silently
        "  trap '' PIPE",
        `  if ! exec 3<>/dev/tcp/${p.tcp.host}/${p.tcp.port}; then echo "fail $(now) connect"; return; fi`,
        '  echo "connected $(now)"',
        '  while [ ! -e "$stop" ]; do',
        `    if ! printf 'HEAD / HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n' ${shq(p.tcp.host)} >&3 2>/dev/null; then echo "fail $(now) write failed (connection reset)"; return; fi`,
        '    status=""; got=0; bye=0; rc=0',
        // 30 s: a reply delayed by TCP retransmission during a failover still counts; only a dead session times out
        "    while :; do IFS= read -r -t 30 -u 3 line; rc=$?; [ \"$rc\" -ne 0 ] && break; line=${line%$'\\r'}; [ -z \"$status\" ] && status=$line; case \"$line\" in [Cc]onnection:*[Cc]lose*) bye=1;; esac; [ -z \"$line\" ] && { got=1; break; }; done",
        '    if [ "$got" != 1 ]; then if [ "$rc" -gt 128 ]; then echo "fail $(now) no reply within 30 s"; else echo "fail $(now) connection closed or reset"; fi; return; fi',
        '    case "$status" in HTTP/1.[01]\\ *) ;; *) echo "fail $(now) not an HTTP reply"; return;; esac',
        '    if [ "$bye" = 1 ]; then echo "closed $(now)"; return; fi',
        '    echo "ok $(now)"',
        `    sleep ${secs(p.tcpIntervalMs)}`,
        "  done",
        '  echo "held $(now)"',
        "}",
      ]
    : ["tcp_loop() { :; }"];
  return [
    "set -u",
    `stop=${shq(stopFileOf(p.token))}`,
    'rm -f "$stop"',
    'd=$(mktemp -d) || exit 1',
    "now() { printf '%s' \"${EPOCHREALTIME:-$(date +%s.%N)}\"; }",
    ...tcp,
    `echo "${PROBE_MARK}start $(now)"`,
    `ping -n -D -O -i ${secs(p.intervalMs)} -W 1 -w ${p.maxS} ${shq(p.pingTarget)} >"$d/ping" 2>&1 &`,
    "pp=$!",
    'tcp_loop >"$d/tcp" 2>&1 &',
    "tp=$!",
    `end=$(( $(date +%s) + ${p.maxS} ))`,
    'while [ ! -e "$stop" ] && [ "$(date +%s)" -lt "$end" ] && kill -0 "$pp" 2>/dev/null; do sleep 0.05; done',
    `echo "${PROBE_MARK}stop $(now)"`,
    'touch "$stop"',
    'kill -INT "$pp" 2>/dev/null; wait "$pp"',
    // the TCP loop sees the stop file after its current request (at most its read timeout)
    'wait "$tp"',
    `echo "${PROBE_MARK}ping"; cat "$d/ping"`,
    `echo "${PROBE_MARK}tcp"; cat "$d/tcp"`,
    'rm -rf "$d" "$stop"',
    "",
  ].join("\n");
}

export type TcpOutcome = "survived" | "broken" | "closed-by-server" | "not-connected" | "not-probed";

export interface ProbeReport {
  pingTarget: string;
  /** Probe window on the client's clock, ms. */
  windowMs: number;
  sent: number;
  received: number;
  lost: number;
  /** Longest time without a reply (window start/end included), ms. */
  longestGapMs: number;
  tcp: {
    outcome: TcpOutcome;
    answered: number;
    /** Longest time between two answers on the held connection, ms. */
    longestGapMs: number;
    detail?: string;
  };
}

function sections(stdout: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let cur: string[] | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith(PROBE_MARK)) {
      const [name, ...rest] = line.slice(PROBE_MARK.length).split(" ");
      cur = out[name] = rest.length ? [rest.join(" ")] : [];
    } else if (cur) cur.push(line);
  }
  return out;
}

function longestGap(times: number[], start: number, end: number): number {
  const t = [start, ...times.filter((x) => x >= start && x <= end).sort((a, b) => a - b), end];
  let gap = 0;
  for (let i = 1; i < t.length; i++) gap = Math.max(gap, t[i] - t[i - 1]);
  return gap;
}

/** The probe's output -> loss, longest gap and the TCP outcome. Throws when the output is not the probe's. */
export function parseProbeOutput(stdout: string, pingTarget: string, tcpProbed: boolean): ProbeReport {
  const s = sections(stdout);
  const start = Number(s.start?.[0]);
  const stop = Number(s.stop?.[0]);
  if (!Number.isFinite(start) || !Number.isFinite(stop) || !s.ping) {
    throw new Error(`the probe did not finish (is bash + iputils ping on the client, and are we root?): ${stdout.trim().slice(-300) || "no output"}`);
  }
  const replies = new Map<number, number>();
  let maxSeq = 0;
  let summary: { sent: number; received: number } | undefined;
  for (const line of s.ping) {
    const reply = /^\[(\d+\.\d+)\] \d+ bytes from [^:]+: icmp_seq=(\d+) /.exec(line);
    if (reply) {
      const seq = Number(reply[2]);
      if (!replies.has(seq)) replies.set(seq, Number(reply[1]));
      maxSeq = Math.max(maxSeq, seq);
      continue;
    }
    const noAnswer = /icmp_seq=(\d+)/.exec(line);
    if (noAnswer) maxSeq = Math.max(maxSeq, Number(noAnswer[1]));
    const sum = /^(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(line);
    if (sum) summary = { sent: Number(sum[1]), received: Number(sum[2]) };
  }
  if (!summary && maxSeq === 0) throw new Error(`ping printed nothing usable: ${s.ping.join(" ").trim().slice(0, 300) || "no output"}`);
  const sent = summary?.sent ?? maxSeq;
  const received = replies.size;
  const ms = (x: number) => Math.round(x * 1000);
  const report: ProbeReport = {
    pingTarget,
    windowMs: ms(stop - start),
    sent,
    received,
    lost: Math.max(0, sent - received),
    longestGapMs: ms(longestGap([...replies.values()], start, stop)),
    tcp: { outcome: "not-probed", answered: 0, longestGapMs: 0 },
  };
  if (!tcpProbed) return report;
  const tcpLines = (s.tcp ?? []).map((l) => l.trim().split(" ")).filter((w) => w[0]);
  const oks = tcpLines.filter((w) => w[0] === "ok").map((w) => Number(w[1]));
  const connected = tcpLines.find((w) => w[0] === "connected");
  const last = tcpLines[tcpLines.length - 1];
  const connectedAt = connected ? Number(connected[1]) : start;
  // a verdict line ends the session at its time; without one (the loop died), it ran silent until the stop
  const lastAt = last && ["fail", "held", "closed"].includes(last[0]) ? Number(last[1]) : stop;
  report.tcp.answered = oks.length;
  report.tcp.longestGapMs = connected ? ms(longestGap(oks, connectedAt, Math.min(stop, lastAt))) : 0;
  if (!connected) report.tcp = { ...report.tcp, outcome: "not-connected", detail: last?.slice(2).join(" ") || "no output" };
  else if (last?.[0] === "held") report.tcp.outcome = "survived";
  else if (last?.[0] === "closed") report.tcp = { ...report.tcp, outcome: "closed-by-server", detail: `the server announced Connection: close after ${oks.length} answers (its keep-alive limit): use a server with a higher limit` };
  else if (last?.[0] === "fail") report.tcp = { ...report.tcp, outcome: "broken", detail: `${last.slice(2).join(" ")} after ${oks.length} answers` };
  else report.tcp = { ...report.tcp, outcome: "broken", detail: `the probe's TCP loop ended without a verdict after ${oks.length} answers` };
  return report;
}

// Shell safety: hostile values pushed through every public command builder and validator that takes user input.
// Each value is either rejected with an error naming the field, or the built command, run with /bin/sh in a temp
// dir (stand-ins for ovs-vsctl/ovs-ofctl on PATH that record their argv), passes it as ONE literal argument and
// creates no file. Values that never reach a shell (pfSense element fields go into config.xml, the install script's
// parameters travel as base64 JSON inside the PHP program) must come back literally from there.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { formatProblem, type Problem } from "../../config/problems";
import { shCommand, shq } from "../../providers/shell/quote";
import { assertRemoteFilePath, readFileCommand, uploadCommand } from "../../providers/ssh/commands";
import { validateBridgeInputs, validateVxlanNodeInputs } from "../../providers/ovs/validate";
import { ensureBridgeCommands, ensureTunnelPortCommands, ensureUplinkCommands, vsctlTransaction, type TunnelPortSpec } from "../../providers/ovs/vsctl";
import { batchScript } from "../../providers/ovs/batch-script";
import { desiredPorts } from "../../providers/ovs/tunnel-plan";
import { TUNNEL_ID_KEY, tunnelPortName } from "../../providers/ovs/naming";
import type { VxlanNodeInputs } from "../../providers/ovs/types";
import { nodeProbeScript } from "../../providers/verify/probe";
import { buildInstallScript } from "../../providers/pfsense/remote/install-script";
import { buildConfigXml, parseConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { schemaOf } from "../../providers/pfsense/version";
import { readAlias, upsertAlias, type AliasSpec } from "../../providers/pfsense/elements/alias";
import { readGateway, upsertGateway, type GatewaySpec } from "../../providers/pfsense/elements/gateway";
import { readFilterRule, upsertFilterRule, type FilterRuleSpec } from "../../providers/pfsense/elements/filter-rule";
import { validateInterface, type InterfaceSpec } from "../../providers/pfsense/elements/interface";
import { validateCarpVip, type CarpVipSpec } from "../../providers/pfsense/elements/carp-vip";
import { validateHaSync, type HaSyncSpec } from "../../providers/pfsense/elements/hasync";
import { validateOutboundNat, type OutboundNatSpec } from "../../providers/pfsense/elements/outbound-nat";
import { FACTORY_CONFIG_PATH } from "../fixtures/gen-large-config";

/** [label, value]: shell syntax, quoting, option look-alikes, length/charset edges, NUL. */
const HOSTILE: [string, string][] = [
  ["command substitution", "$(touch pwned)"],
  ["backticks", "`touch pwned`"],
  ["semicolon", "x;touch pwned"],
  ["single quote", "x';touch pwned;'"],
  ["double quote", 'x";touch pwned;"'],
  ["newline", "x\ntouch pwned"],
  ["pipe", "x|touch pwned"],
  ["redirect", "x>pwned"],
  ["and-list", "x&&touch pwned"],
  ["variable", "$HOME"],
  ["glob", "*"],
  ["space", "a b"],
  ["long option", "--help"],
  ["short option", "-x"],
  ["16 characters", "abcdefghijklmnop"],
  ["unicode", "brü0"],
  ["NUL", "x\0y"],
  ["empty", ""],
];

const EP = { host: "192.0.2.11", username: "root", hostKeySha256: "SHA256:" + "A".repeat(43), privateKeyPath: "/nonexistent/key" };
const STAND_INS = ["ovs-vsctl", "ovs-ofctl"];
let root: string;
let bin: string;
let runs = 0;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-shell-safety-"));
  bin = path.join(root, "bin");
  fs.mkdirSync(bin);
  // Records its name and argv: each argument NUL-terminated, each call ended by \001.
  for (const name of STAND_INS) {
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\nprintf '%s\\0' "$(basename "$0")" "$@" >> "$ARGV_LOG"\nprintf '\\001' >> "$ARGV_LOG"\n`, { mode: 0o755 });
  }
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface ShRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** argv of every stand-in call, program name first. */
  calls: string[][];
  /** Files the command created in its working directory (besides what it was meant to write). */
  created: string[];
}

/** Runs `command` with /bin/sh in a fresh empty working directory, the stand-ins first on PATH. */
function runSh(command: string, stdin = ""): ShRun {
  const cwd = path.join(root, `run${++runs}`);
  fs.mkdirSync(cwd);
  const log = path.join(root, `argv${runs}`);
  fs.writeFileSync(log, "");
  const r = spawnSync("/bin/sh", ["-c", command], {
    cwd, input: stdin, encoding: "utf8",
    env: { PATH: `${bin}:/usr/bin:/bin`, ARGV_LOG: log, HOME: "/nonexistent-home" },
  });
  const calls = fs.readFileSync(log, "utf8").split("\u0001").filter((c) => c !== "").map((c) => c.split("\0").slice(0, -1));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls, created: fs.readdirSync(cwd) };
}

/** The rejection text of a validator (Problem[] or a throw), or undefined when the value is accepted. */
function rejection(validate: () => Problem[] | void, field: string): string | undefined {
  try {
    const problems = (validate() ?? []).filter((p) => p.key === field);
    return problems.length > 0 ? problems.map(formatProblem).join("\n") : undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function bridgeInputs(over: Record<string, unknown>) {
  return { endpoint: EP, node: "pve1", name: "vmbr1", ...over };
}

function tunnelInputs(over: Partial<Record<keyof VxlanNodeInputs, unknown>>): VxlanNodeInputs {
  return {
    endpoint: EP, node: "pve1", tunnelId: "lan", bridge: "vmbr1", vni: 1001, underlayAddress: "10.0.0.1",
    peers: [{ name: "pve2", address: "10.0.0.2" }], ...over,
  } as VxlanNodeInputs;
}

function tunnelPort(over: Partial<TunnelPortSpec>): TunnelPortSpec {
  return { bridge: "vmbr1", name: "vxabcdef-123456", remoteIp: "10.0.0.2", key: 1001, bfd: false, tunnelId: "lan", ...over };
}

/** A user-input field: its validator, and (for what reaches a shell) the command built from an accepted value. */
interface ShellSite {
  site: string;
  field: string;
  validate: (v: string) => Problem[] | void;
  /** The command and the one argument the value must arrive as at the named stand-in. */
  build: (v: string) => { command: string; program: string; arg: string };
}

const SHELL_SITES: ShellSite[] = [
  {
    site: "OvsBridge", field: "name",
    validate: (v) => validateBridgeInputs(bridgeInputs({ name: v })),
    build: (v) => ({ command: vsctlTransaction(ensureBridgeCommands(v, "netdev", 1500)), program: "ovs-vsctl", arg: v }),
  },
  {
    site: "OvsBridge", field: "uplink",
    validate: (v) => validateBridgeInputs(bridgeInputs({ uplink: v })),
    build: (v) => ({ command: vsctlTransaction(ensureUplinkCommands("vmbr1", v)), program: "ovs-vsctl", arg: v }),
  },
  {
    site: "VxlanNode", field: "bridge",
    validate: (v) => validateVxlanNodeInputs(tunnelInputs({ bridge: v })),
    build: (v) => ({ command: vsctlTransaction(ensureTunnelPortCommands(tunnelPort({ bridge: v }))), program: "ovs-vsctl", arg: v }),
  },
  {
    site: "VxlanNode", field: "tunnelId",
    validate: (v) => validateVxlanNodeInputs(tunnelInputs({ tunnelId: v })),
    build: (v) => ({ command: vsctlTransaction(ensureTunnelPortCommands(tunnelPort({ tunnelId: v }))), program: "ovs-vsctl", arg: `external_ids:${TUNNEL_ID_KEY}=${v}` }),
  },
  {
    site: "VxlanNode", field: "underlayAddress",
    validate: (v) => validateVxlanNodeInputs(tunnelInputs({ underlayAddress: v })),
    build: (v) => ({ command: vsctlTransaction(ensureTunnelPortCommands(tunnelPort({ localIp: v }))), program: "ovs-vsctl", arg: `options={remote_ip="10.0.0.2",key="1001",local_ip="${v}"}` }),
  },
  {
    site: "VxlanNode", field: "peers[0].address",
    validate: (v) => validateVxlanNodeInputs(tunnelInputs({ peers: [{ name: "pve2", address: v }] })),
    build: (v) => ({ command: vsctlTransaction(ensureTunnelPortCommands(tunnelPort({ remoteIp: v }))), program: "ovs-vsctl", arg: `options={remote_ip="${v}",key="1001"}` }),
  },
  {
    // accepted as any non-empty text: it only ever reaches the host hashed into the port name
    site: "VxlanNode", field: "peers[0].name",
    validate: (v) => validateVxlanNodeInputs(tunnelInputs({ peers: [{ name: v, address: "10.0.0.2" }] })),
    build: (v) => {
      const port = desiredPorts(tunnelInputs({ peers: [{ name: v, address: "10.0.0.2" }] }))[0];
      return { command: vsctlTransaction(ensureTunnelPortCommands(port)), program: "ovs-vsctl", arg: tunnelPortName("lan", v) };
    },
  },
  {
    site: "verify node probe", field: "bridges[0]",
    validate: (v) => void nodeProbeScript([v], 0),
    build: (v) => ({ command: nodeProbeScript([v], 0), program: "ovs-ofctl", arg: v }),
  },
];

describe.each(SHELL_SITES.map((s) => [`${s.site} ${s.field}`, s] as const))("%s", (_name, s) => {
  it.each(HOSTILE)("%s: rejected naming the field, or one literal argument and no side effect", (_label, v) => {
    const rejected = rejection(() => s.validate(v), s.field);
    if (rejected !== undefined) {
      expect(rejected.startsWith(s.field) || rejected.includes(`${s.field}:`)).toBe(true);
      return;
    }
    const { command, program, arg } = s.build(v);
    const r = runSh(command);
    expect(r.created).toEqual([]);
    const calls = r.calls.filter((c) => c[0] === program);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.some((c) => c.includes(arg))).toBe(true);
  });
});

describe("peer names never reach a host: any text is accepted and only its hash is used", () => {
  it("every hostile peer name except the empty one is accepted", () => {
    const accepted = HOSTILE.filter(([, v]) => rejection(() => validateVxlanNodeInputs(tunnelInputs({ peers: [{ name: v, address: "10.0.0.2" }] })), "peers[0].name") === undefined);
    expect(accepted.map(([l]) => l)).toEqual(HOSTILE.filter(([, v]) => v !== "").map(([l]) => l));
  });
});

describe("OVS option names: a leading '-' is refused before it can read as an option", () => {
  it.each([["name", "--help"], ["name", "-x"], ["uplink", "-eth0"]])("%s %s", (field, v) => {
    expect(validateBridgeInputs(bridgeInputs({ [field]: v })).map((p) => [p.key, p.message])).toEqual([[field, expect.stringMatching(/starts with "-"/)]]);
  });
});

describe("quoting alone holds even without validation (defence in depth)", () => {
  const quotable = HOSTILE.filter(([, v]) => !v.includes("\0"));

  it.each(quotable)("shCommand %s: one literal argument, nothing created", (_label, v) => {
    const r = runSh(shCommand(["ovs-vsctl", v, "tail"]));
    expect(r.calls).toEqual([["ovs-vsctl", v, "tail"]]);
    expect(r.created).toEqual([]);
  });

  it.each(quotable)("an unvalidated bridge name %s in a vsctl transaction stays the add-br argument", (_label, v) => {
    const r = runSh(vsctlTransaction(ensureBridgeCommands(v, "system")));
    expect(r.calls).toHaveLength(1);
    const argv = r.calls[0];
    expect(argv[argv.indexOf("add-br") + 1]).toBe(v);
    expect(r.created).toEqual([]);
  });

  // (a plain word cannot add OVS options; it is no IP either, which check() refuses: see the VxlanNode rows)
  const notPlain = quotable.filter(([, v]) => !/^[A-Za-z0-9_.:-]+$/.test(v));
  it.each(notPlain)("a VXLAN remote_ip/local_ip with %s is refused by the builder itself", (_label, v) => {
    expect(() => ensureTunnelPortCommands(tunnelPort({ remoteIp: v }))).toThrow(/^remote_ip: /);
    expect(() => ensureTunnelPortCommands(tunnelPort({ localIp: v }))).toThrow(/^local_ip: /);
  });

  it("NUL cannot be passed through a shell: refused", () => {
    expect(() => shq("x\0y")).toThrow(/NUL/);
    expect(() => vsctlTransaction(ensureBridgeCommands("x\0y", "system"))).toThrow(/NUL/);
  });
});

describe("file transfer commands (SSH upload/readFile) with hostile file names", () => {
  it.each(HOSTILE)("%s: refused naming the path, or written and read back under exactly that name", (_label, v) => {
    const dir = path.join(root, `files${++runs}`);
    fs.mkdirSync(dir);
    const target = `${dir}/${v}`;
    const rejected = rejection(() => void assertRemoteFilePath("upload path", target), "upload path");
    if (rejected !== undefined) {
      expect(rejected).toMatch(/^upload path: /);
      expect(() => uploadCommand(target, 3, 0o600, "abc123")).toThrow(/^upload path: /);
      expect(() => readFileCommand(target)).toThrow(/^readFile path: /);
      return;
    }
    const content = `content of ${v}\n`;
    const up = runSh(uploadCommand(target, Buffer.byteLength(content), 0o600, "abc123"), content);
    expect({ code: up.code, stderr: up.stderr }).toEqual({ code: 0, stderr: "" });
    expect(fs.readdirSync(dir)).toEqual([v]);
    expect(fs.readFileSync(target, "utf8")).toBe(content);
    expect((fs.statSync(target).mode & 0o777).toString(8)).toBe("600");
    const read = runSh(readFileCommand(target));
    expect(read.stdout).toBe(content);
    expect([...up.created, ...read.created]).toEqual([]);
  });

  it("the upload's temp suffix and mode are checked too", () => {
    expect(() => uploadCommand("/tmp/x", 1, 0o600, "$(id)")).toThrow(/upload temp suffix/);
    expect(() => uploadCommand("/tmp/x", 1, 0o10000, "abc")).toThrow(/upload mode/);
  });
});

describe("OVS batch script: file paths", () => {
  it("writes only its two known files: any other path is refused, naming it", () => {
    for (const [, v] of HOSTILE) {
      expect(() => batchScript({ expectedSha: "0".repeat(64), commands: [], writes: [{ path: `/etc/network/${v}`, content: "x" }] })).toThrow(/^refusing to write /);
    }
  });
});

describe("pfSense install script parameters travel as base64 JSON, not through a shell", () => {
  it.each(HOSTILE)("%s in the revision description and upload path decodes literally in PHP", (_label, v) => {
    const script = buildInstallScript({
      configPath: "/cf/conf/config.xml", uploadedPath: `/cf/conf/.pfha-${v}.xml`, expectedSha256: "0".repeat(64),
      description: `pfha: ${v}`, sections: [], interfaces: [], pendingPath: "/var/run/pfha-apply.json",
    });
    const line = script.split("\n").find((l) => l.startsWith("$p = json_decode(base64_decode("));
    expect(line).toMatch(/^\$p = json_decode\(base64_decode\('[A-Za-z0-9+/=]*'\), true\);$/);
    const php = spawnSync("php", ["-r", `${line} echo base64_encode(json_encode([$p['description'], $p['uploadedPath']]));`], { encoding: "utf8" });
    expect(php.status).toBe(0);
    expect(JSON.parse(Buffer.from(php.stdout, "base64").toString("utf8"))).toEqual([`pfha: ${v}`, `/cf/conf/.pfha-${v}.xml`]);
  });
});

describe("pfSense element identifiers: rejected naming the field, or stored as one literal XML value", () => {
  const factory = fs.readFileSync(FACTORY_CONFIG_PATH, "utf8");
  const vip: CarpVipSpec = { uniqid: "65f1c2a9b3e4d", interface: "wan", vhid: 1, advskew: 0, advbase: 1, password: "pw-1234", descr: "d", subnet: "198.51.100.200", subnetBits: 24 };
  const iface: InterfaceSpec = { name: "opt1", device: "vtnet2", descr: "SYNC", enable: true, ipaddr: "172.16.1.2", subnetBits: 24, sync: true };
  const hasync: HaSyncSpec = { pfsyncInterface: "opt1", pfsyncPeerIp: "172.16.1.3", xmlrpc: { synchronizeToIp: "172.16.1.3", username: "admin", password: "peer-pw" } };
  const nat: OutboundNatSpec = { key: "lan", sourceNetwork: "192.168.1.0/24", interface: "wan", targetVip: "198.51.100.200", descr: "d" };
  const alias: AliasSpec = { name: "HA_SYNC_PEERS", type: "host", addresses: ["172.16.1.2"], descr: "d" };
  const gw: GatewaySpec = { name: "PFHA_WANGW", interface: "wan", gateway: "198.51.100.1", weight: 1, descr: "d", defaultGateway: false };
  const rule: FilterRuleSpec = {
    tracker: "1712345002", type: "pass", interface: "lan", ipprotocol: "inet", protocol: "tcp",
    source: { address: "HA_SYNC_PEERS" }, destination: { network: "(self)", port: "443" }, descr: "d", position: { top: true },
  };
  const schema = schemaOf(parseConfigXml(factory));

  /** Validation only: these fields must reject every hostile value. */
  const strict: [string, (v: string) => void][] = [
    ["device", (v) => validateInterface({ ...iface, device: v })],
    ["name", (v) => validateInterface({ ...iface, name: v })],
    ["interface", (v) => validateCarpVip({ ...vip, interface: v })],
    ["subnet", (v) => validateCarpVip({ ...vip, subnet: v })],
    ["pfsyncInterface", (v) => validateHaSync({ ...hasync, pfsyncInterface: v }, schema)],
    ["pfsyncPeerIp", (v) => validateHaSync({ ...hasync, pfsyncPeerIp: v }, schema)],
    ["xmlrpc.synchronizeToIp", (v) => validateHaSync({ ...hasync, xmlrpc: { ...hasync.xmlrpc!, synchronizeToIp: v } }, schema)],
    ["sourceNetwork", (v) => validateOutboundNat({ ...nat, sourceNetwork: v })],
  ];
  describe.each(strict)("%s", (field, validate) => {
    it.each(HOSTILE)("%s is rejected naming the field", (_label, v) => {
      expect(() => validate(v)).toThrow(new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")}: `));
    });
  });

  // Identifiers with a wider alphabet: accepted ones must read back exactly from the written config.xml.

  it.each(HOSTILE)("alias name, gateway name, rule source %s: rejected naming the field, or written and read back literally", (_label, v) => {
    const cases: { field: string; write: (doc: PfConfigDoc) => void; read: (doc: PfConfigDoc) => unknown; expected: unknown }[] = [
      { field: "name", write: (d) => void upsertAlias(d, { ...alias, name: v }), read: (d) => readAlias(d, v)?.name, expected: v },
      { field: "name", write: (d) => void upsertGateway(d, { ...gw, name: v }), read: (d) => readGateway(d, v)?.name, expected: v },
      { field: "source", write: (d) => void upsertFilterRule(d, { ...rule, source: { address: v } }, schema), read: (d) => readFilterRule(d, rule.tracker)?.source, expected: { address: v } },
    ];
    for (const c of cases) {
      const doc = parseConfigXml(factory);
      let error: Error | undefined;
      try {
        c.write(doc);
      } catch (e) {
        error = e as Error;
      }
      if (error) {
        expect(error.message).toMatch(new RegExp(`^${c.field.replace(/\./g, "\\.")}: `));
        continue;
      }
      expect(c.read(parseConfigXml(buildConfigXml(doc)))).toEqual(c.expected);
    }
  });
});

test("the install holds pfSense's lock('xmlrpc') from before lock('config') until its write_config() returns (xmlrpc.php's order)", () => {
  const script = buildInstallScript({
    configPath: "/cf/conf/config.xml", uploadedPath: "/cf/conf/.pfha-x.xml", expectedSha256: "0".repeat(64),
    description: "pfha: x", sections: [], interfaces: [], pendingPath: "/var/run/pfha-apply.json",
  });
  const at = (s: string) => script.indexOf(s);
  const order = ["$xlk = lock('xmlrpc', LOCK_EX);", "$lk = lock('config', LOCK_EX);", "write_config($p['description'], false)", "unlock($xlk);"].map(at);
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
});

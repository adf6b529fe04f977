// bootstrap's pure part: the PHP that enables SSH key login as pfSense's GUI saves it, its summary line, and the
// template checks against the stack's NIC order.
import { readFileSync } from "fs";
import { bootstrapPassword } from "../../cli/bootstrap";
import { validateValues } from "../../config/load";
import { parseConfigXml } from "../../providers/pfsense/codec";
import { checkPublicKey, enableKeyLoginScript, evaluateTemplate, parseBootstrapOutput, templateExpectationsOf } from "../../providers/verify/bootstrap";
import { FACTORY_CONFIG_PATH } from "../fixtures/gen-large-config";
import { TOPOLOGY_DIR, topologyValues } from "../fixtures/topologies";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx0wVn4yL1rD3oQxZ1b5hTqJ0o8m9bW0nq7q3XvY2kE pfsense-ha@ci";

test("the key must be one OpenSSH public key line; anything else is refused before a host is touched", () => {
  expect(checkPublicKey(KEY)).toBeUndefined();
  expect(checkPublicKey(`${KEY}\nssh-ed25519 AAAA second`)).toMatch(/^the public key is not one OpenSSH public key line/);
  expect(checkPublicKey("ssh-ed25519 AAAA'; system('reboot'); '")).toMatch(/not one OpenSSH public key line/);
  expect(() => enableKeyLoginScript("-----BEGIN OPENSSH PRIVATE KEY-----", false)).toThrow(/not one OpenSSH public key line/);
});

test("the PHP does what the GUI's save does: admin's authorizedkeys (base64) + local_user_set, sshd enabled, restart_SSHD only on change", () => {
  const s = enableKeyLoginScript(KEY, true);
  expect(s).toContain(`$key = base64_decode('${Buffer.from(KEY).toString("base64")}');`);
  expect(s).not.toContain(KEY); // travels base64-encoded: no quoting of the key text in PHP
  expect(s).toContain('$u["authorizedkeys"] = base64_encode(implode("\\n", $lines));');
  expect(s).toContain("local_user_set($u);");
  expect(s).toContain('config_set_path("system/ssh/enable", "enabled");');
  expect(s).toContain('if ($keyonly) config_set_path("system/ssh/sshdkeyonly", "enabled");');
  expect(s).toContain("$keyonly = true;");
  expect(enableKeyLoginScript(KEY, false)).toContain("$keyonly = false;");
  expect(s).toContain('if ($added || $ssh_changed) write_config("pfsense-ha bootstrap: SSH key login for admin/root");');
  expect(s).toContain("if ($ssh_changed) restart_SSHD();");
  expect(parseBootstrapOutput('notice\nPFHA-BOOTSTRAP {"ok":true,"keyAdded":true,"sshChanged":false}\n')).toEqual({ ok: true, keyAdded: true, sshChanged: false });
  expect(parseBootstrapOutput("PHP Fatal error: ...\n")).toBeUndefined();
});

test("template checks: the factory config fails the assignment with the console step; a stack sets the NIC order and release", () => {
  const doc = parseConfigXml(readFileSync(FACTORY_CONFIG_PATH, "utf8"));
  const checks = evaluateTemplate("fw", "2.7.2-RELEASE\n", doc, templateExpectationsOf(undefined));
  expect(checks.map((c) => [c.check, c.expected, c.found, c.status])).toEqual([
    ["ssh key login", "works", "works", "pass"],
    ["pfSense release", "2.7.0|2.7.1|2.7.2|2.8.0|2.8.1", "2.7.2-RELEASE", "pass"],
    ["sshd key only", "enabled", "password login allowed", "warn"],
    ["interface wan", "vtnet0", "em0", "fail"],
    ["interface lan", "vtnet1", "em1", "fail"],
    ["clean HA state", "no CARP VIPs, no XMLRPC target", "0 VIP(s)", "pass"],
    ["checksum offloading (VirtIO)", "disabled", "enabled", "warn"],
  ]);
  expect(checks.find((c) => c.check === "interface wan")?.hint).toMatch(/console option 1, Assign Interfaces/);
  const stack = validateValues(topologyValues("wan-lan-sync"), TOPOLOGY_DIR).config;
  if (!stack) throw new Error("fixture");
  expect(templateExpectationsOf(stack)).toEqual({
    assignment: [{ pfInterface: "wan", device: "vtnet0" }, { pfInterface: "lan", device: "vtnet1" }, { pfInterface: "opt1", device: "vtnet2" }],
    version: stack.pfsenseVersion,
  });
  const other = evaluateTemplate("fw", "2.8.1-RELEASE\n", doc, { assignment: [], version: "2.7.2" });
  expect(other.find((c) => c.check === "pfSense release")).toMatchObject({ status: "fail", hint: expect.stringMatching(/install that release, or set pfsenseVersion to 2\.8\.1/) });
});

test("the password: the environment's when set, else stdin's first line; an exported but empty variable falls back to stdin", () => {
  const stdin = () => "from-stdin";
  expect(bootstrapPassword({ PFSENSE_HA_BOOTSTRAP_PASSWORD: "from-env" }, stdin)).toBe("from-env");
  expect(bootstrapPassword({ PFSENSE_HA_BOOTSTRAP_PASSWORD: "" }, stdin)).toBe("from-stdin");
  expect(bootstrapPassword({}, stdin)).toBe("from-stdin");
  expect(bootstrapPassword({}, () => "")).toBe("");
});

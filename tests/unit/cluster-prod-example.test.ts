// The real-site example stack file validates as shipped (its `secure:` placeholders count as present secrets) and
// describes a two-node Proxmox site with two cloned VMs.
import * as path from "path";
import { validateStackFile } from "../../config/load";

test("Pulumi.prod.example.yaml is a valid two-node, cloned-VM stack with secrets only as secure: values", () => {
  const file = path.join(__dirname, "..", "..", "Pulumi.prod.example.yaml");
  const r = validateStackFile(file, "prod");
  expect(r.problems).toEqual([]);
  expect(r.config?.proxmox.nodes.map((n) => n.name)).toEqual(["pve1", "pve2"]);
  expect(r.config?.firewalls.primary.vm.mode).toBe("clone");
  expect(r.config?.firewalls.secondary.vm.mode).toBe("clone");
  expect(r.config?.firewalls.primary.proxmoxNode).not.toBe(r.config?.firewalls.secondary.proxmoxNode);
  const text = require("fs").readFileSync(file, "utf8") as string;
  for (const key of ["proxmoxve:apiToken", "pfsense-ha:carpPassword", "pfsense-ha:xmlrpcPassword"]) {
    expect(text).toMatch(new RegExp(`  ${key}:\\n    secure: `));
  }
});

// The `__provider` texts `npm run build` stores in dist/providers/provider-refs.json (bin/build-refs.js) are what
// the SDK's own `pulumi.dynamic.Resource` would store for the same compiled reference, and a ProviderRefResource
// registers the same type token and `__provider` as `pulumi.dynamic.Resource` does. Run in a child Node on the
// compiled program (jest's transpiled functions serialize to other text), with the SDK's mocks as the monitor.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

jest.setTimeout(180000);
const ROOT = path.join(__dirname, "..", "..");

// What each resource registered: type token and __provider, by resource name.
const SCRIPT = `
const pulumi = require("@pulumi/pulumi");
const got = {};
pulumi.runtime.setMocks({
  newResource: (a) => { got[a.name] = { type: a.type, provider: a.inputs.__provider }; return { id: a.name + "-id", state: a.inputs }; },
  call: () => ({}),
}, "p", "s", false);
const { providerRef, ProviderRefResource } = require("./dist/providers/provider-ref.js");
const { PROVIDERS } = require("./dist/providers/registry.js");
class Probe extends ProviderRefResource {}
const all = [];
for (const n of Object.keys(PROVIDERS)) {
  all.push(new pulumi.dynamic.Resource(providerRef(n), "sdk-" + n, {}, {}, "pfsense-ha:probe:Kind"));
  all.push(new Probe(n, "ours-" + n, {}, {}, "pfsense-ha:probe:Kind"));
}
Promise.all(all.map((r) => new Promise((res) => r.urn.apply(res)))).then(() => process.stdout.write(JSON.stringify(got)));
`;

let got: Record<string, { type: string; provider: string }>;
let built: Record<string, string>;

beforeAll(() => {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "ignore" });
  built = JSON.parse(fs.readFileSync(path.join(ROOT, "dist", "providers", "provider-refs.json"), "utf8"));
  got = JSON.parse(execFileSync(process.execPath, ["-e", SCRIPT], { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] }).toString());
});

const NAMES = ["ovsBridge", "vxlanNode", "interface", "carpVip", "haSync", "firewallRule", "alias", "outboundNat", "dhcpFailover", "gateway", "offloading", "vpnBinding", "portForward", "oneToOne"];

test("the build serialized one reference per provider", () => {
  expect(Object.keys(built).sort()).toEqual([...NAMES].sort());
});

test.each(NAMES)("%s: the built text is what pulumi.dynamic.Resource stores; a ProviderRefResource stores it under the same type", (n) => {
  expect(got[`sdk-${n}`].type).toBe("pulumi-nodejs:dynamic/pfsense-ha:probe:Kind:Resource");
  expect(got[`sdk-${n}`].provider).toBe(built[n]);
  expect(got[`ours-${n}`]).toEqual({ type: "pulumi-nodejs:dynamic/pfsense-ha:probe:Kind:Resource", provider: built[n] });
});

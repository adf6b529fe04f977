// The pfsense-ha stack program. It uses the library (lib/index.ts, the package's entry) like any other program:
// the stack's `pfsense-ha:*` configuration becomes PfSenseHaCluster's arguments, which validates them (nothing is
// declared below it when they are invalid: the error lists every problem), then one stack output per field of the
// output contract (components/outputs.ts).
import { stackClusterSettings } from "./config/program";
import { PfSenseHaCluster } from "./lib";

// A fixed component name: renaming the cluster in config must not replace every resource.
const cluster = new PfSenseHaCluster("ha", stackClusterSettings());

export const contractVersion = cluster.outputs.contractVersion;
export const gateway = cluster.outputs.gateway;
export const vips = cluster.outputs.vips;
export const nodes = cluster.outputs.nodes;
export const networks = cluster.outputs.networks;
export const vxlan = cluster.outputs.vxlan;

// The pfsense-ha program: validate the stack config (nothing is declared when it is invalid: ConfigValidationError
// lists every problem), build the cluster, export the output contract (components/outputs.ts), one stack output
// per contract field.
// It uses the library (lib/index.ts, the package's entry) like any other program.
import { loadCluster } from "./config/program";
import { PfSenseHaCluster } from "./lib";

const { config, secrets } = loadCluster();

// A fixed component name: renaming the cluster in config must not replace every resource.
const cluster = new PfSenseHaCluster("ha", { config, secrets });

export const contractVersion = cluster.outputs.contractVersion;
export const gateway = cluster.outputs.gateway;
export const vips = cluster.outputs.vips;
export const nodes = cluster.outputs.nodes;
export const networks = cluster.outputs.networks;
export const vxlan = cluster.outputs.vxlan;

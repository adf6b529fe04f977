// Seed topologies (tests/fixtures/topologies/*.yaml, Pulumi.<stack>.yaml layout) as validated ClusterConfig.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { validateStack } from "../../config/validate";
import type { ClusterConfig } from "../../config/types";

export const TOPOLOGY_DIR = path.join(__dirname, "..", "fixtures", "topologies");

export function topologyNames(): string[] {
  return fs.readdirSync(TOPOLOGY_DIR).filter((f) => f.endsWith(".yaml")).map((f) => f.replace(/\.yaml$/, "")).sort();
}

export interface Topology {
  name: string;
  /** The raw stack config ("pfsense-ha:key" -> value). */
  values: Record<string, unknown>;
  config: ClusterConfig;
}

export function loadTopology(name: string): Topology {
  const doc = parse(fs.readFileSync(path.join(TOPOLOGY_DIR, `${name}.yaml`), "utf8")) as { config: Record<string, unknown> };
  const result = validateStack(doc.config, { stackName: name });
  if (!result.config) throw new Error(`topology ${name} does not validate:\n${result.problems.map((p) => JSON.stringify(p)).join("\n")}`);
  return { name, values: doc.config, config: result.config };
}

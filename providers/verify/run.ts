// verifyCluster(): collect from every host, compare the firewalls' config.xml with the plan, evaluate.
import type { ClusterConfig, FirewallRole } from "../../config/types";
import type { SecretName } from "../../components/plan";
import { collect, type CollectOptions } from "./collect";
import { expectationsOf } from "./desired";
import { evaluate, type Check } from "./evaluate";
import type { Observations } from "./observations";
import { renderFirewall } from "./render";

export interface VerifyOptions extends CollectOptions {
  secrets?: Partial<Record<SecretName, string>>;
}

/** The diff's changed lines (without the ---/+++ headers and hunk markers). */
export function changedLines(diff: string): string[] {
  return diff.split("\n").filter((l) => (l.startsWith("+") || l.startsWith("-")) && !l.startsWith("+++ ") && !l.startsWith("--- "));
}

export async function verifyCluster(config: ClusterConfig, opts: VerifyOptions = {}): Promise<{ checks: Check[]; observations: Observations }> {
  const expectations = expectationsOf(config);
  const { observations, configXml } = await collect(config, opts);
  const drift: NonNullable<Observations["drift"]> = {};
  for (const role of ["primary", "secondary"] as FirewallRole[]) {
    const xml = configXml[role];
    if (xml === undefined) continue;
    try {
      drift[role] = { lines: changedLines(renderFirewall(config, role, xml, { secrets: opts.secrets }).diff) };
    } catch (e) {
      drift[role] = { error: (e as Error).message };
    }
  }
  observations.drift = drift;
  return { checks: evaluate(expectations, observations), observations };
}

// What every pfSense element component is: one dynamic resource (one element on one firewall) as its child,
// with the element's identity and the config version it was written to as outputs.
import * as pulumi from "../../providers/pulumi-sdk";
import { COMPONENT_TOKENS, componentOptions, type ComponentName } from "../tokens";

/** The outputs every element resource has (providers/pfsense/resources/dynamic.ts). */
export interface ElementChild {
  readonly identity: pulumi.Output<string>;
  readonly configVersion: pulumi.Output<string>;
}

export abstract class ElementComponent extends pulumi.ComponentResource {
  /** The element's identity on the firewall (uniqid, tracker, name or marker key). */
  readonly identity: pulumi.Output<string>;
  /** The firewall's config.xml <version> it was written to. */
  readonly configVersion: pulumi.Output<string>;

  protected constructor(
    component: ComponentName,
    name: string,
    child: (opts: pulumi.CustomResourceOptions) => ElementChild,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(COMPONENT_TOKENS[component].type, name, {}, componentOptions(component, opts));
    // dependsOn on a component is not inherited by its children: forward it
    const r = child({ parent: this, dependsOn: opts?.dependsOn });
    this.identity = r.identity;
    this.configVersion = r.configVersion;
    this.registerOutputs({ identity: this.identity, configVersion: this.configVersion });
  }
}

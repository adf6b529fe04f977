// The pfSense dynamic resources. Provider objects are captured by Pulumi's closure serializer into `__provider`.
import * as pulumi from "@pulumi/pulumi";
import { CarpVipProvider, type CarpVipInputs } from "../CarpVipProvider";
import { FirewallRuleProvider, type FirewallRuleInputs } from "../FirewallRuleProvider";

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export const carpVipProvider = new CarpVipProvider();
export const firewallRuleProvider = new FirewallRuleProvider();

// The endpoint may hold key content or a password: never plain in state.
const ENDPOINT_SECRET = ["endpoint"];

export class CarpVipResource extends pulumi.dynamic.Resource {
  declare readonly uniqid: pulumi.Output<string>;
  declare readonly configVersion: pulumi.Output<string>;
  constructor(name: string, args: Inputs<CarpVipInputs>, opts?: pulumi.CustomResourceOptions) {
    super(
      carpVipProvider,
      name,
      { uniqid: undefined, configVersion: undefined, ...args, password: pulumi.secret(args.password) },
      { ...opts, additionalSecretOutputs: [...ENDPOINT_SECRET, "password"] },
      "pfsense-ha:pfsense:CarpVip",
    );
  }
}

export class FirewallRuleResource extends pulumi.dynamic.Resource {
  declare readonly tracker: pulumi.Output<number>;
  declare readonly configVersion: pulumi.Output<string>;
  constructor(name: string, args: Inputs<FirewallRuleInputs>, opts?: pulumi.CustomResourceOptions) {
    super(
      firewallRuleProvider,
      name,
      { tracker: undefined, configVersion: undefined, ...args },
      { ...opts, additionalSecretOutputs: ENDPOINT_SECRET },
      "pfsense-ha:pfsense:FirewallRule",
    );
  }
}

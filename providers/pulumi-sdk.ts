// The parts of @pulumi/pulumi the program uses, from the SDK's own modules. Importing the package root loads all of
// it (the automation API, npm's libraries, the TypeScript compiler for the closure serializer): about a second of
// CPU at every start of the program. Use `import * as pulumi from "…/providers/pulumi-sdk"` in the program's code.
export * from "@pulumi/pulumi/resource";
export * from "@pulumi/pulumi/output";
export { Config } from "@pulumi/pulumi/config";
export { getStack } from "@pulumi/pulumi/metadata";
export { StackReference } from "@pulumi/pulumi/stackReference";
export { ResourceError } from "@pulumi/pulumi/errors";
export * as log from "@pulumi/pulumi/log";
export * as dynamic from "@pulumi/pulumi/dynamic";
/** Only the program's configuration of the SDK's runtime (`pulumi.runtime.allConfig()`). */
export * as runtime from "@pulumi/pulumi/runtime/config";

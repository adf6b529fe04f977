// The Pulumi program's entry (package.json "main"; Pulumi.yaml runs it as plain JavaScript): the compiled
// index.ts from dist/, or the sources through ts-node when dist/ is missing or stale (bin/load.js).
module.exports = require("./load").load("index");

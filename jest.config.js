// Two projects: "unit" needs nothing but Node; "integration" needs the lab (`npm run lab -- up`, root).
// ts-jest runs transpile-only (isolatedModules); `tsc --noEmit` does the type checking once for the whole tree.
const tsJest = ["ts-jest", { tsconfig: { isolatedModules: true }, diagnostics: false }];
module.exports = {
  projects: [
    { displayName: "unit", testEnvironment: "node", transform: { "^.+\\.ts$": tsJest }, testMatch: ["<rootDir>/tests/unit/**/*.test.ts"] },
    {
      displayName: "integration",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/tests/integration/**/*.test.ts"],
    },
  ],
  testTimeout: 60000,
  testSequencer: "<rootDir>/tests/support/sequencer.js",
  // In the checkout, not the OS temp folder (the test command points TMPDIR at a folder it removes).
  cacheDirectory: "<rootDir>/node_modules/.cache/jest",
};

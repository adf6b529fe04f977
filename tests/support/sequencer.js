// Integration files run in path order, the same on every machine (jest's default order depends on its cache of
// earlier durations, so a fresh CI machine ran the lab files in another order than a developer's). Unit files keep
// jest's default order (slowest first), which suits parallel workers.
const Sequencer = require("@jest/test-sequencer").default;

class PathOrderForIntegration extends Sequencer {
  sort(tests) {
    const integration = tests.filter((t) => t.context.config.displayName?.name === "integration");
    if (integration.length !== tests.length) return super.sort(tests);
    return [...tests].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

module.exports = PathOrderForIntegration;

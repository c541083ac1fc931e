// Run axe-core on pages in headless Chromium; print one JSON object per page.
// Usage: node axe.cjs CHROMIUM URL...   (run by tests/test_browser.py)
"use strict";
const path = require("path");
const { chromium } = require("playwright-core");

const AXE = path.join(__dirname, "node_modules", "axe-core", "axe.min.js");

async function main() {
  const [executablePath, ...urls] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND"],
  });
  const results = [];
  try {
    const page = await browser.newPage();
    for (const url of urls) {
      await page.goto(url, { waitUntil: "load", timeout: 30000 });
      await page.addScriptTag({ path: AXE });
      const found = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { resultTypes: ["violations"] });
        return r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
          count: v.nodes.length,
        }));
      });
      results.push({ url, violations: found });
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});

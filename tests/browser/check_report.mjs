// Open an HTML report in Debian's chromium (headless, no network), run axe-core on WCAG 2.2 AA
// at desktop width and at 320 px, and check that at 320 px the page itself never scrolls
// sideways (WCAG 1.4.10 Reflow): wide tables scroll inside their own focusable regions.
//
//   node check_report.mjs REPORT.html [CHROMIUM]
//
// Prints a JSON account and exits 0 when there is nothing to report, 1 when there is, 2 when
// it could not run at all.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const WIDTHS = [1280, 320];

const [report, executablePath = "/usr/bin/chromium"] = process.argv.slice(2);
if (!report) {
  console.error("usage: node check_report.mjs REPORT.html [CHROMIUM]");
  process.exit(2);
}

const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const account = { report, widths: {}, requests: [] };
let failed = false;
try {
  const page = await browser.newPage();
  // The report is one self-contained file: any request beyond it is a fault.
  await page.setRequestInterception(true);
  const own = pathToFileURL(report).href;
  page.on("request", (request) => {
    if (request.url() === own || request.url().startsWith("data:")) return request.continue();
    account.requests.push(request.url());
    return request.abort();
  });
  for (const width of WIDTHS) {
    await page.setViewport({ width, height: 800 });
    await page.goto(own, { waitUntil: "load" });
    await page.addScriptTag({ content: AXE_SOURCE });
    const result = await page.evaluate(
      (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags } }),
      TAGS,
    );
    const scroll = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      viewport: document.documentElement.clientWidth,
      tables: document.querySelectorAll("table").length,
      tablesInRegions: document.querySelectorAll(
        '[role="region"][tabindex="0"][aria-labelledby] > table').length,
    }));
    const violations = result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    }));
    account.widths[width] = { violations, scroll };
    if (violations.length) failed = true;
    if (scroll.page > scroll.viewport) failed = true;
    if (scroll.tables === 0 || scroll.tablesInRegions !== scroll.tables) failed = true;
  }
  if (account.requests.length) failed = true;
} finally {
  await browser.close();
}
console.log(JSON.stringify(account, null, 2));
process.exit(failed ? 1 : 0);

// The pages of `materia serve`, checked in a real browser (Debian's Chromium, driven by
// playwright-core): each page answers 200 with the layout, its stylesheet and scripts
// load, nothing is logged as an error, every chart of the explorer is drawn, tables
// have rows, and submitting the explorer's form changes what it shows. A screenshot of
// each page is saved for a person to look at.
//
// Usage: node test_pages.mjs --base-url http://127.0.0.1:PORT --screenshots DIR
//        [--source-dir REPO] [--chromium /usr/bin/chromium]
// Exit 0 when every check passes, 1 when one fails, 2 when the test cannot run.

import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const TEST_TIMEOUT_MS = 45_000; // the whole test; a hung page must not hang CTest
const NAVIGATION_TIMEOUT_MS = 15_000;
const HEALTH_WAIT_MS = 20_000;
const VIEWPORT = { width: 1366, height: 900 };
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

function parseArgs(argv) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const args = {
    baseUrl: process.env.MATERIA_BASE_URL || "",
    screenshots: process.env.MATERIA_SCREENSHOT_DIR || "",
    sourceDir: process.env.MATERIA_SOURCE_DIR || path.resolve(here, "../.."),
    chromium: process.env.MATERIA_CHROMIUM || "/usr/bin/chromium",
  };
  const names = { "--base-url": "baseUrl", "--screenshots": "screenshots",
    "--source-dir": "sourceDir", "--chromium": "chromium" };
  for (let i = 2; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) usage(`unknown or incomplete argument: ${argv[i]}`);
    args[key] = argv[i + 1];
  }
  if (!args.baseUrl) usage("--base-url is required");
  if (!args.screenshots) usage("--screenshots is required");
  args.baseUrl = args.baseUrl.replace(/\/+$/, "");
  return args;
}

function usage(message) {
  console.error(`test_pages: ${message}`);
  console.error("usage: node test_pages.mjs --base-url URL --screenshots DIR [--source-dir REPO] [--chromium PATH]");
  process.exit(2);
}

const failures = [];
let passed = 0;

function check(condition, description) {
  if (condition) {
    passed += 1;
  } else {
    failures.push(description);
    console.error(`FAIL: ${description}`);
  }
}

async function waitForHealth(baseUrl) {
  const deadline = Date.now() + HEALTH_WAIT_MS;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const reply = await fetch(`${baseUrl}/health`);
      if (reply.ok) return;
      last = `status ${reply.status}`;
    } catch (error) {
      last = error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the server did not answer /health within ${HEALTH_WAIT_MS} ms (${last})`);
}

function isFavicon(url) {
  return new URL(url, "http://x").pathname === "/favicon.ico";
}

// Collects what a page reports as going wrong: console errors, uncaught exceptions,
// failed requests and sub-resources answered with an error status.
function watchPage(page) {
  const problems = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const source = message.location()?.url || "";
    if (isFavicon(source)) return; // the browser asks for it on its own; not the page's fault
    problems.push(`console error: ${message.text()}${source ? " (" + source + ")" : ""}`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught exception: ${error.message}`));
  page.on("requestfailed", (request) =>
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on("response", (response) => {
    const request = response.request();
    if (response.status() >= 400 && request.resourceType() !== "document" && !isFavicon(request.url())) {
      problems.push(`${response.url()} answered ${response.status()}`);
    }
  });
  return problems;
}

// What every page shares: the layout, the stylesheet, the chart library and app.js.
async function checkLayout(page, name) {
  const layout = await page.evaluate(() => {
    const sheet = [...document.styleSheets].find((s) => (s.href || "").endsWith("/static/app.css"));
    let rules = 0;
    try { rules = sheet ? sheet.cssRules.length : 0; } catch { rules = -1; }
    const scripts = [...document.querySelectorAll("body > script[src]")].map((s) => s.getAttribute("src"));
    return {
      nav: document.querySelectorAll("header.top nav a").length,
      main: !!document.querySelector("main"),
      footer: !!document.querySelector("footer"),
      cssRules: rules,
      scripts,
      chartLoaded: typeof window.Chart === "function",
      topBarColour: getComputedStyle(document.querySelector("header.top") || document.body).backgroundColor,
    };
  });
  check(layout.nav >= 1, `${name}: header.top has a nav with links`);
  check(layout.main, `${name}: has <main>`);
  check(layout.footer, `${name}: has <footer>`);
  check(layout.cssRules > 0, `${name}: /static/app.css loaded (rules: ${layout.cssRules})`);
  check(layout.topBarColour !== "rgba(0, 0, 0, 0)", `${name}: the stylesheet styles the top bar`);
  check(layout.scripts.join(" ") === "/static/vendor/chart.umd.min.js /static/app.js",
    `${name}: body ends with the chart library and app.js (got: ${layout.scripts.join(" ")})`);
  check(layout.chartLoaded, `${name}: Chart.js is loaded`);
}

// Every table.data has at least one body row; returns how many tables there are.
async function checkTables(page, name) {
  const tables = await page.$$eval("table.data", (all) =>
    all.map((table) => ({
      rows: table.tBodies.length
        ? [...table.tBodies].reduce((n, body) => n + body.rows.length, 0)
        : table.rows.length - 1,
      header: table.querySelector("th")?.textContent.trim() || "",
    })));
  for (const [i, table] of tables.entries()) {
    check(table.rows >= 1, `${name}: table ${i + 1} (${table.header}) has rows`);
  }
  return tables.length;
}

// Every canvas.chart is laid out and has pixels drawn on it: its image differs from a
// blank canvas of the same size.
async function checkCharts(page, name) {
  const charts = await page.$$eval("canvas.chart", (canvases) =>
    canvases.map((canvas) => {
      const blank = document.createElement("canvas");
      blank.width = canvas.width;
      blank.height = canvas.height;
      const caption = canvas.closest("figure")?.querySelector("figcaption")?.textContent.trim() || "";
      return {
        caption,
        width: canvas.clientWidth,
        height: canvas.clientHeight,
        drawn: canvas.width > 0 && canvas.height > 0 && canvas.toDataURL() !== blank.toDataURL(),
        hasData: !!canvas.getAttribute("data-chart"),
      };
    }));
  for (const chart of charts) {
    const label = `${name}: chart "${chart.caption}"`;
    check(chart.hasData, `${label} has data-chart`);
    check(chart.width > 0 && chart.height > 0, `${label} has a size (${chart.width}x${chart.height})`);
    check(chart.drawn, `${label} is drawn (not blank)`);
  }
  return charts.length;
}

async function visit(context, args, { name, path: pagePath, screenshot }) {
  const page = await context.newPage();
  const problems = watchPage(page);
  const response = await page.goto(`${args.baseUrl}${pagePath}`, { waitUntil: "load" });
  check(response && response.status() === 200, `${name}: GET ${pagePath} answers 200 (got ${response?.status()})`);
  check((response?.headers()["content-type"] || "").startsWith("text/html"), `${name}: is text/html`);
  await checkLayout(page, name);
  const tables = await checkTables(page, name);
  const charts = await checkCharts(page, name);
  await page.screenshot({ path: path.join(args.screenshots, `${screenshot}.png`), fullPage: true });
  return { page, problems, tables, charts };
}

function checkNoProblems(name, problems) {
  check(problems.length === 0, `${name}: no errors in the browser${problems.length ? ": " + problems.join("; ") : ""}`);
}

// The explorer's form, submitted twice as a user would: first another commodity (the
// countries offered depend on it), then two other countries of that commodity. Each
// time the page must show the choice and charts of other data.
async function checkExplorerForm(page, problems, args) {
  const first = await explorerState(page);
  check(first.commodityOptions.length >= 2, `explorer: the commodity select offers choices (${first.commodityOptions.length})`);
  check(first.countryMultiple, "explorer: the country select is a multi-select");
  if (first.commodityOptions.length < 2) return;

  const commodity = first.commodityOptions.find((value) => value !== first.commodity);
  await page.selectOption("select[name=commodity]", commodity);
  await submitExplorer(page, (url) => url.searchParams.get("commodity") === commodity);
  const second = await explorerState(page);
  check(second.commodity === commodity,
    `explorer: the commodity select shows the choice after submitting (${second.commodity} vs ${commodity})`);
  check(second.chartData !== first.chartData, "explorer: the charts' data changed with the commodity");
  await checkSubmittedPage(page, "explorer (commodity)", args, "explorer-commodity");

  check(second.countryOptions.length >= 2, `explorer: the country select offers choices (${second.countryOptions.length})`);
  if (second.countryOptions.length < 2) return;
  const notChosen = second.countryOptions.filter((value) => !second.countries.includes(value));
  const countries = (notChosen.length >= 2 ? notChosen : second.countryOptions).slice(0, 2);
  const wanted = [...countries].sort().join(",");
  await page.selectOption("select[name=country]", countries);
  await submitExplorer(page, (url) => url.searchParams.getAll("country").sort().join(",") === wanted);
  const third = await explorerState(page);
  check(third.commodity === commodity, `explorer: the commodity stays chosen (${third.commodity} vs ${commodity})`);
  check([...third.countries].sort().join(",") === wanted,
    `explorer: the country select shows the choice after submitting (${third.countries} vs ${countries})`);
  check(third.chartData !== second.chartData, "explorer: the charts' data changed with the countries");
  await checkSubmittedPage(page, "explorer (countries)", args, "explorer-countries");
  checkNoProblems("explorer (submitted)", problems);
}

async function submitExplorer(page, urlMatches) {
  await Promise.all([
    page.waitForURL(urlMatches, { timeout: NAVIGATION_TIMEOUT_MS }),
    page.$eval("select[name=commodity]", (select) => select.form.requestSubmit()),
  ]);
  await page.waitForLoadState("load");
}

async function checkSubmittedPage(page, name, args, screenshot) {
  const charts = await checkCharts(page, name);
  check(charts >= 1, `${name}: has charts (${charts})`);
  await checkTables(page, name);
  await page.screenshot({ path: path.join(args.screenshots, `${screenshot}.png`), fullPage: true });
}

async function explorerState(page) {
  return page.evaluate(() => {
    const commodity = document.querySelector("select[name=commodity]");
    const country = document.querySelector("select[name=country]");
    const values = (select) => (select ? [...select.options].map((o) => o.value) : []);
    const chosen = (select) => (select ? [...select.selectedOptions].map((o) => o.value) : []);
    return {
      commodity: commodity ? commodity.value : null,
      commodityOptions: values(commodity),
      countries: chosen(country),
      countryOptions: values(country),
      countryMultiple: !!(country && country.multiple),
      chartData: [...document.querySelectorAll("canvas.chart")].map((c) => c.getAttribute("data-chart")).join("\n"),
    };
  });
}

// Without the chart library the page keeps working: app.js throws nothing.
async function checkWithoutChartLibrary(context, args) {
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.route("**/static/vendor/chart.umd.min.js", (route) =>
    route.fulfill({ status: 200, contentType: "text/javascript", body: "" }));
  await page.goto(`${args.baseUrl}/explorer`, { waitUntil: "load" });
  const state = await page.evaluate(() => ({
    chart: typeof window.Chart,
    tables: document.querySelectorAll("table.data").length,
    form: !!document.querySelector("form select[name=commodity]"),
  }));
  check(state.chart === "undefined", "explorer without Chart.js: the library is really absent");
  check(state.form, "explorer without Chart.js: the form is there");
  checkNoProblems("explorer without Chart.js", problems);
  await page.close();
}

// Without JavaScript at all the explorer still has its form and chart boxes.
async function checkWithoutJavaScript(browser, args) {
  const context = await browser.newContext({ viewport: VIEWPORT, javaScriptEnabled: false });
  const page = await context.newPage();
  const response = await page.goto(`${args.baseUrl}/explorer`, { waitUntil: "load" });
  check(response && response.status() === 200, "explorer without JavaScript: answers 200");
  const state = await page.evaluate(() => ({
    form: document.querySelector("form[method=get] select[name=commodity]") !== null,
    figures: document.querySelectorAll("figure.chart-box").length,
  })).catch(() => null);
  // evaluate runs in the page's isolated world even with scripts disabled.
  check(state && state.form, "explorer without JavaScript: the GET form is there");
  check(state && state.figures >= 1, "explorer without JavaScript: chart boxes are there");
  await context.close();
}

async function main() {
  const args = parseArgs(process.argv);
  const require = createRequire(path.join(args.sourceDir, "web", "package.json"));
  let chromium;
  try {
    ({ chromium } = require("playwright-core"));
  } catch (error) {
    console.error(`test_pages: playwright-core is not installed (run scripts/fetch-web-assets): ${error.message}`);
    process.exit(2);
  }
  fs.mkdirSync(args.screenshots, { recursive: true });
  await waitForHealth(args.baseUrl);

  const browser = await chromium.launch({ executablePath: args.chromium, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ viewport: VIEWPORT });
    context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
    context.setDefaultTimeout(NAVIGATION_TIMEOUT_MS);

    const pages = [
      { name: "home", path: "/", screenshot: "home" },
      { name: "explorer", path: "/explorer", screenshot: "explorer" },
      { name: "pipelines", path: "/pipelines", screenshot: "pipelines" },
      { name: "catalog", path: "/catalog", screenshot: "catalog" },
      { name: "workers", path: "/workers", screenshot: "workers" },
    ];
    for (const spec of pages) {
      const { page, problems, tables, charts } = await visit(context, args, spec);
      if (spec.name === "explorer") {
        // Without parameters the explorer may show a default selection or none; after
        // the form is submitted it must show charts.
        console.log(`explorer: ${charts} chart(s) before submitting`);
        checkNoProblems(spec.name, problems);
        await checkExplorerForm(page, problems, args);
      } else {
        if (spec.name === "catalog" || spec.name === "pipelines") {
          check(tables >= 1, `${spec.name}: has a table.data (${tables})`);
        }
        checkNoProblems(spec.name, problems);
      }
      await page.close();
    }

    const missing = await context.newPage();
    const notFound = await missing.goto(`${args.baseUrl}/no-such-page`);
    check(notFound && notFound.status() === 404, `GET /no-such-page answers 404 (got ${notFound?.status()})`);
    await missing.close();

    await checkWithoutChartLibrary(context, args);
    await context.close();
    await checkWithoutJavaScript(browser, args);
  } finally {
    await browser.close();
  }

  console.log(`test_pages: ${passed} passed, ${failures.length} failed; screenshots in ${args.screenshots}`);
  process.exit(failures.length === 0 ? 0 : 1);
}

const timer = setTimeout(() => {
  console.error(`test_pages: timed out after ${TEST_TIMEOUT_MS} ms`);
  process.exit(1);
}, TEST_TIMEOUT_MS);
timer.unref();

main().catch((error) => {
  console.error(`test_pages: ${error.stack || error.message}`);
  process.exit(1);
});

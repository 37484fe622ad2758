// Load report.html from disk in headless Chromium with the network off and
// print what a reader would get, as JSON, for tests/cli/browser.rs to assert:
// requests that failed or left the file system, the headline sentences, the
// rendered size of every inline chart, the decoded size of every chart PNG
// (Chromium's own PNG decoder), and a full-page screenshot.
//
// usage: node check_report.mjs REPORT_HTML SCREENSHOT_PNG
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';

const [reportPath, screenshotPath] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const failed = [];
const external = [];
page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
page.on('request', (r) => {
  const url = r.url();
  if (!url.startsWith('file:') && !url.startsWith('data:')) external.push(url);
});
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

await page.goto(pathToFileURL(reportPath).href, { waitUntil: 'load' });
const result = await page.evaluate(async () => {
  const charts = [...document.querySelectorAll('figure.chart')].map((f) => {
    const svg = f.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    return { id: f.id, width: box.width, height: box.height, elements: svg ? svg.querySelectorAll('*').length : 0 };
  });
  const pngs = await Promise.all(charts.map((c) => new Promise((resolve) => {
    const img = new Image();
    const src = `charts/${c.id.replace(/^chart-/, '')}.png`;
    img.onload = () => resolve({ src, width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => resolve({ src, width: 0, height: 0 });
    img.src = src;
  })));
  return {
    title: document.title,
    headlines: [...document.querySelectorAll('ul.headlines li')].map((li) => li.textContent),
    charts,
    pngs,
    figureLinks: [...document.querySelectorAll('a.fid')].map((a) => a.getAttribute('href')),
    figureAnchors: [...document.querySelectorAll('tr[id^="F-"]')].map((tr) => tr.id),
  };
});
await page.screenshot({ path: screenshotPath, fullPage: true });
await browser.close();
console.log(JSON.stringify({ ...result, failed, external, consoleErrors }));

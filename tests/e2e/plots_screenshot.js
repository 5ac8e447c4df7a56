// Opens a plots page in headless Chromium (no network allowed), screenshots it, and reports
// what a viewer would see: the heatmap cells and line plots drawn, and any request that left
// the file. Usage: node plots_screenshot.js FILE.html OUT.png
const { chromium } = require('playwright-core');

(async () => {
  const [page_path, png] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const external = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file://')) return route.continue();
      external.push(url);
      return route.abort();
    });
    await page.goto('file://' + page_path);
    await page.screenshot({ path: png, fullPage: true });
    const report = await page.evaluate(() => {
      const cells = [...document.querySelectorAll('svg.heatmap rect.cell')].map((r) => {
        const box = r.getBoundingClientRect();
        return {
          actual: r.dataset.actual,
          predicted: r.dataset.predicted,
          count: Number(r.dataset.count),
          fill: getComputedStyle(r).fill,
          visible: box.width > 0 && box.height > 0,
        };
      });
      const lines = [...document.querySelectorAll('svg.line polyline')].map(
        (p) => p.points.numberOfItems);
      return { cells, lines, headings: [...document.querySelectorAll('h2')].map((h) => h.textContent) };
    });
    report.external = external;
    console.log(JSON.stringify(report));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

// Opens a plots page in headless Chromium (no network allowed), screenshots it, and reports
// what a viewer would see: the heatmap cells and line plots drawn, and any request that left
// the file. Usage: node plots_screenshot.js FILE.html OUT.png
const { withPage, run } = require('./browser');

run(async () => {
  const [page_path, png] = process.argv.slice(2);
  await withPage({ width: 1400, height: 900 }, 'file://', async (page) => {
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
    return report;
  });
});

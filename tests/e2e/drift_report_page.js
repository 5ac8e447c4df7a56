// Opens a drift report in headless Chromium (no network allowed), screenshots it, and reports
// what a reader sees: the verdict, the headings, each table row's cells as rendered text and
// how many bars its two sparklines draw, and per distribution chart the reference and current
// bars drawn. Usage: node drift_report_page.js REPORT.html OUT.png
const { withPage, run } = require('./browser');

run(async () => {
  const [page_path, png] = process.argv.slice(2);
  await withPage({ width: 1100, height: 1400 }, 'file://', async (page) => {
    await page.goto('file://' + page_path);
    await page.screenshot({ path: png, fullPage: true });
    const report = await page.evaluate(() => {
      const drawn = (root, selector) =>
        [...root.querySelectorAll(selector)].filter((r) => {
          const box = r.getBoundingClientRect();
          return box.width > 0 && box.height > 0;
        }).length;
      const rows = [...document.querySelectorAll('table tbody tr')]
        .filter((tr) => tr.querySelectorAll('td').length === 8)
        .map((tr) => {
          const td = [...tr.querySelectorAll('td')];
          return {
            cells: td.filter((_, i) => i !== 2 && i !== 3).map((c) => c.innerText.trim()),
            reference_bars: drawn(td[2], 'rect'),
            current_bars: drawn(td[3], 'rect'),
          };
        });
      const charts = [...document.querySelectorAll('details')].map((d) => ({
        summary: d.querySelector('summary').innerText.trim(),
        open: d.open,
        reference_bars: drawn(d, 'rect.ref'),
        current_bars: drawn(d, 'rect.cur'),
      }));
      return {
        verdict: document.querySelector('.verdict').innerText.trim(),
        headings: [...document.querySelectorAll('h1, h2')].map((h) => h.innerText.trim()),
        rows,
        charts,
      };
    });
    return report;
  });
});

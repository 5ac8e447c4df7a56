// The UI's drift page in headless Chromium, network blocked except plinth server: the live drift
// of a model served by `plinth serve` (fetched through the server) and a drift report logged
// as a run artifact. Usage: node ui_drift.js BASE MONITORING_URL SCREENSHOT
const { withPage, run } = require('./browser.js');
const [base, monitoring, shot] = process.argv.slice(2);

run(() =>
  withPage({ width: 1400, height: 900 }, base, async (page) => {
    const report = {};
    await page.goto(`${base}/#/drift`);
    await page.waitForSelector('#drift-reports tbody tr a');
    report.reports = await page.$$eval('#drift-reports tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent.trim())));
    await page.fill('#monitoring-url', 'file:///etc/passwd');
    await page.click('form.filter button');
    await page.waitForSelector('.error');
    report.bad_url_error = await page.textContent('.error');
    await page.fill('#monitoring-url', monitoring);
    await page.click('form.filter button');
    await page.waitForSelector('#live-drift tbody tr');
    report.live_summary = await page.textContent('#live-drift p');
    report.live = await page.$$eval('#live-drift tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent.trim())));
    report.url = page.url();
    await page.screenshot({ path: shot, fullPage: true });
    return report;
  }),
);

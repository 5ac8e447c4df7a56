// Opens plinth serve's /docs in headless Chromium with every request off the server blocked,
// clicks "Send" (the input example to /predict), screenshots the page, and reports what a user
// sees. Usage: node serve_docs.js URL OUT.png
const { chromium } = require('playwright-core');

(async () => {
  const [base, png] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const external = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base)) return route.continue();
      external.push(url);
      return route.abort();
    });
    await page.goto(base + '/docs');
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('status').textContent !== '');
    await page.screenshot({ path: png, fullPage: true });
    const report = await page.evaluate(() => ({
      title: document.getElementById('title').textContent,
      operations: [...document.querySelectorAll('.op code')].map((c) => c.textContent),
      fields: [...document.querySelectorAll('#schema tbody tr')].map((r) =>
        [...r.children].map((td) => td.textContent)),
      status: document.getElementById('status').textContent,
      result: JSON.parse(document.getElementById('result').textContent),
    }));
    report.external = external;
    console.log(JSON.stringify(report));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

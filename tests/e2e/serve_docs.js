// Opens plinth serve's /docs in headless Chromium with every request off the server blocked,
// clicks "Send" (the input example to /predict), screenshots the page, and reports what a user
// sees. Usage: node serve_docs.js URL OUT.png
const { withPage, run } = require('./browser');

run(async () => {
  const [base, png] = process.argv.slice(2);
  await withPage({ width: 1200, height: 900 }, base, async (page) => {
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
    return report;
  });
});

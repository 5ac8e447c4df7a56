// What the browser tests share: Debian's Chromium, headless, with every request that does not
// start with `allowed` blocked and recorded. inspect(page) does the test's own work and returns
// a report; the report, with `external` (the blocked requests) added, is printed as JSON.
const { chromium } = require('playwright-core');

async function withPage(viewport, allowed, inspect) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport });
    const external = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(allowed)) return route.continue();
      external.push(url);
      return route.abort();
    });
    const report = await inspect(page);
    report.external = external;
    console.log(JSON.stringify(report));
  } finally {
    await browser.close();
  }
}

// Runs main() and exits 1 with the error when it fails.
function run(main) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

module.exports = { withPage, run };

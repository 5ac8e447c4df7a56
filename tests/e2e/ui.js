// Walks the web UI of `plinth server` in headless Chromium with every other origin blocked:
// experiments → runs (sort, filter, bad filter, paging) → compare → run (charts, artifacts) →
// registry (stage transition and alias, each confirmed) → a live run's chart growing.
// Usage: node ui.js BASE_URL SEED_JSON LIVE_RUN_ID_FILE SCREENSHOT_DIR
const fs = require('fs');
const { withPage, run } = require('./browser.js');

const [base, seedFile, liveFile, shots] = process.argv.slice(2);
const seed = JSON.parse(fs.readFileSync(seedFile, 'utf8'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function rows(page) {
  return page.$$eval('#runs tbody tr', (trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent.trim())));
}
async function header(page) {
  return page.$$eval('#runs thead th', (ths) => ths.map((th) => th.textContent.replace(/[▲▼]/g, '').trim()));
}
async function column(page, name) {
  const h = await header(page);
  const i = h.indexOf(name);
  if (i < 0) throw new Error(`no column ${name} in ${h}`);
  return (await rows(page)).map((r) => r[i]);
}

run(() =>
  withPage({ width: 1400, height: 900 }, base, async (page) => {
    const report = {};
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const shot = (name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });

    // Experiments page.
    await page.goto(base + '/');
    await page.waitForSelector('#experiments tbody tr');
    report.experiments = await page.$$eval('#experiments tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
    await shot('experiments');
    await page.click('#experiments a:text("fraud")');

    // Runs: default page, sort by auc, filter, bad filter, paging.
    await page.waitForSelector('#runs tbody tr');
    report.first_page_rows = (await rows(page)).length;
    report.columns_offered = await page.$$eval('details.columns label', (ls) => ls.map((l) => l.textContent));
    report.url_after_click = page.url();
    await page.click('#runs thead th:has-text("metrics.auc")');
    await page.waitForFunction(() => location.hash.includes('order='));
    await page.waitForFunction(() => document.querySelector('th[aria-sort]')?.textContent.includes('auc'));
    await sleep(300);
    report.sorted_auc_desc = (await column(page, 'metrics.auc')).slice(0, 5);
    await page.click('#runs thead th:has-text("metrics.auc")');
    await page.waitForFunction(() => location.hash.includes('ASC'));
    await sleep(300);
    report.sorted_auc_asc = (await column(page, 'metrics.auc')).slice(0, 5);
    await shot('runs-sorted');

    await page.fill('#filter', "params.max_depth = '8'");
    await page.press('#filter', 'Enter');
    await page.waitForFunction(() => location.hash.includes('filter='));
    await sleep(400);
    report.filtered_depths = await column(page, 'params.max_depth');
    report.filter_url = page.url();

    await page.fill('#filter', 'metrics.auc >>> 1');
    await page.press('#filter', 'Enter');
    await page.waitForSelector('#filter-error');
    report.bad_filter_error = await page.textContent('#filter-error');
    await shot('runs-bad-filter');

    await page.fill('#filter', '');
    await page.press('#filter', 'Enter');
    await page.waitForFunction(() => !location.hash.includes('filter='));
    await page.waitForSelector('#runs tbody tr');
    await sleep(300);
    const page1 = (await rows(page)).map((r) => r[1]);
    await page.click('#next-page');
    await page.waitForFunction(() => location.hash.includes('page='));
    await sleep(400);
    const page2 = (await rows(page)).map((r) => r[1]);
    report.paging = { page1: page1.length, page2: page2.length, overlap: page1.filter((x) => page2.includes(x)).length };
    await page.click('text=← Previous');
    await sleep(400);
    report.back_to_page1 = JSON.stringify((await rows(page)).map((r) => r[1])) === JSON.stringify(page1);

    // A link reproduces the view: a fresh page on the filtered URL shows the filtered rows.
    const here = page.url();
    await page.goto('about:blank');
    await page.goto(report.filter_url);
    await page.waitForSelector('#runs tbody tr');
    await sleep(300);
    report.link_rows = (await page.$$('#runs tbody tr')).length;
    await page.goto(here);
    await page.waitForSelector('#runs tbody tr');
    await sleep(300);

    // Compare three runs.
    const boxes = await page.$$('#runs tbody input[type=checkbox]');
    for (const b of boxes.slice(0, 3)) await b.check();
    await page.click('#compare');
    await page.waitForSelector('#compare-params');
    await page.waitForSelector('figure.metric[data-metric="auc"] .chart');
    await sleep(500);
    report.compare = {
      series: await page.$eval('figure.metric[data-metric="auc"] .chart', (e) => Number(e.dataset.series)),
      differing: await page.$$eval('#compare-params tr.differs th', (t) => t.map((x) => x.textContent)),
      polylines: await page.$$eval('#parcoords polyline', (p) => p.length),
      canvases: await page.$$eval('figure.metric canvas', (c) => c.length),
    };
    await shot('compare');

    // A run with artifacts.
    await page.goto(`${base}/#/run/${seed.artifact_run}`);
    await page.waitForSelector('#params');
    await page.waitForSelector('figure.metric[data-metric="auc"] canvas');
    report.run = {
      params: await page.$$eval('#params th', (t) => t.map((x) => x.textContent)),
      total_points: await page.$eval('figure.metric[data-metric="auc"]', (e) => Number(e.dataset.total)),
    };
    await page.click('#artifacts button:has-text("metrics.json")');
    await page.waitForFunction(() => document.querySelector('#artifact-preview pre')?.textContent.includes('threshold'));
    report.run.json_preview = await page.textContent('#artifact-preview pre');
    await page.click('#artifacts button:has-text("confusion.png")');
    await page.waitForSelector('#artifact-preview img');
    report.run.image_width = await page.$eval('#artifact-preview img', async (img) => {
      await img.decode();
      return img.naturalWidth;
    });
    await shot('run');

    // Registry, reached from the run: its registered version links to the model, where v2 goes
    // to Production and v1 gets the alias champion, each confirmed.
    await page.waitForSelector('#registered a');
    report.registered_link = await page.textContent('#registered a');
    await page.click('#registered a');
    await page.waitForSelector('#versions tbody tr');
    await page.selectOption('select[aria-label="stage for version 2"]', 'Production');
    await page.waitForSelector('.modal');
    report.confirm_text = await page.textContent('.modal');
    await shot('confirm-stage');
    await page.click('.modal button:text("Confirm")');
    await page.waitForFunction(() => document.querySelector('tr[data-version="2"] .stage')?.textContent === 'Production');
    await page.fill('input[aria-label="alias for version 1"]', 'champion');
    await page.click('tr[data-version="1"] button:text("Set")');
    await page.waitForSelector('.modal');
    await page.click('.modal button:text("Confirm")');
    await page.waitForFunction(() => document.querySelector('tr[data-version="1"] .alias')?.textContent.includes('champion'));
    // The model's history (the audit log) shows both changes, newest first.
    await page.waitForSelector('#history tr[data-action="set_alias"]');
    report.history = await page.$$eval('#history tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent.trim())));
    await shot('registry');
    await page.click('nav a:text("Models")');
    await page.waitForSelector('#models tbody tr');
    report.models_page = await page.textContent('#models tbody tr');

    // Live: the chart of a running run grows without a reload.
    // The MLflow client takes a while to import on a busy machine.
    for (let i = 0; i < 1200 && !fs.existsSync(liveFile); i++) await sleep(100);
    const live = fs.readFileSync(liveFile, 'utf8').trim();
    await page.goto(`${base}/#/run/${live}`);
    await page.waitForSelector('figure.metric[data-metric="loss"]');
    await page.evaluate(() => (window.__still_here = true));
    const first = await page.$eval('figure.metric[data-metric="loss"]', (e) => Number(e.dataset.total));
    await sleep(3000);
    // Both at one instant: the chart keeps growing between two separate reads.
    const [later, title] = await page.$eval('figure.metric[data-metric="loss"]', (e) =>
      [Number(e.dataset.total), e.querySelector('.chart-title').textContent]);
    report.live = { first, later, title, same_page: await page.evaluate(() => window.__still_here === true), indicator: await page.$$eval('.live', (l) => l.length) };
    await shot('live');
    report.page_errors = errors;
    return report;
  }),
);

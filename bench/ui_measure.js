// Times one page of one UI in a fresh browser context (nothing cached): from navigation until
// the page shows what it is for. Prints the milliseconds, or "timeout".
// Usage: node ui_measure.js UI(plinth|mlflow) VIEW(runs|chart|compare) BASE SEED_JSON TIMEOUT_MS
const fs = require('fs');
const { chromium } = require('playwright-core');

const [ui, view, base, seedFile, timeout] = process.argv.slice(2);
const seed = JSON.parse(fs.readFileSync(seedFile, 'utf8'));
const e = seed.experiment_id;
const list = (xs) => encodeURIComponent(JSON.stringify(xs));

// What "ready" means, per UI and view: the first rows of the runs table; the history chart
// drawn; the 20-series overlay drawn.
const pages = {
  plinth: {
    runs: [`/#/runs?e=${e}`, () => document.querySelectorAll('#runs tbody tr').length > 0],
    chart: [`/#/run/${seed.long}`, () => !!document.querySelector('figure.metric[data-metric="loss"] canvas')],
    compare: [`/#/compare?runs=${seed.compare.join(',')}`,
      () => !!document.querySelector('figure.metric[data-metric="loss"] .chart[data-series="20"] canvas')],
  },
  mlflow: {
    runs: [`/#/experiments/${e}/runs`, () => document.querySelectorAll('.ag-row').length > 0],
    chart: [`/#/experiments/${e}/runs/${seed.long}/model-metrics`,
      () => !!document.querySelector('.js-plotly-plot .scatterlayer .trace path')],
    // The URL MLflow's own "compare runs → metric" link builds (Routes.getMetricPageRoute).
    compare: [`/#/metric/loss?runs=${JSON.stringify(seed.compare)}&metric=${list('loss')}&experiments=${JSON.stringify([e])}` +
      `&plot_metric_keys=${list(['loss'])}&plot_layout={}&x_axis=step&y_axis_scale=linear&line_smoothness=1` +
      '&show_point=false&deselected_curves=[]&last_linear_y_axis_range=[]',
      () => document.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length >= 20],
  },
};

(async () => {
  const [path, ready] = pages[ui][view];
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.route('**/*', (r) => (r.request().url().startsWith(base) ? r.continue() : r.abort()));
    const t0 = Date.now();
    await page.goto(base + path);
    try {
      await page.waitForFunction(ready, null, { timeout: Number(timeout), polling: 20 });
      console.log(Date.now() - t0);
    } catch {
      console.log('timeout');
    }
  } finally {
    await browser.close();
  }
})();

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { colourCounts, decodePng } from '../report/png.js';
import { BIN, ROOT, run, STACK_LINE, tempDir } from './cli.js';

/** One short training of the shipped config; the report checks below read its folder. */
let out = '';

beforeAll(() => {
  out = join(tempDir('ner-train-report-'), 'run');
  const trained = run(['train', '--config', 'configs/default.yaml', '--set', 'training.epochs=2', '--out', out]);
  expect(trained.stderr).not.toContain('internal error');
  expect(trained.status).toBe(0);
});

/** Anything in the page that would load from elsewhere. */
const EXTERNAL = /<script\b|<link\b|<img\b|<iframe\b|\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\/|url\(\s*["']?(?:https?:)?\/\/|@import/i;

describe('ner-train report', () => {
  it('writes RUN/report.html, self-contained, and prints its path', () => {
    const result = run(['report', out]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const file = join(out, 'report.html');
    expect(result.stdout.trim()).toBe(file);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(EXTERNAL);
    expect(html.match(/<svg /g)?.length).toBe(3);
    for (const heading of ['Training loss', 'Dev precision, recall and F1', 'Learning rate', 'Token confusion matrix', 'Resolved config']) expect(html).toContain(heading);
    expect(html).toContain('epochs: 2');
  });

  it('its per-type scores and confusion matrix are those `evaluate` gives for model-best on the dev file', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const evaluated = run(['evaluate', '-m', join(out, 'model-best'), '-d', 'data/dev.txt', '--json']);
    expect(evaluated.status).toBe(0);
    const scores = JSON.parse(evaluated.stdout);
    const pct = (v: number): string => (100 * v).toFixed(2);
    for (const [type, s] of Object.entries(scores.per_type) as [string, { precision: number; recall: number; f1: number; support: number }][]) {
      expect(html).toContain(`<tr><th scope="row">${type}</th><td class="num">${pct(s.precision)}</td><td class="num">${pct(s.recall)}</td><td class="num">${pct(s.f1)}</td><td class="num">${s.support}</td></tr>`);
    }
    // The matrix: each row's cells in order.
    const { labels, matrix } = scores.confusion as { labels: string[]; matrix: number[][] };
    labels.forEach((label, g) => {
      const row = new RegExp(`<tr><th scope="row">${label}</th>(.*?)</tr>`).exec(html);
      expect(row, label).not.toBeNull();
      const cells = [...(row as RegExpExecArray)[1].matchAll(/<td class="cell[^"]*"[^>]*>(\d+)<\/td>/g)].map((m) => Number(m[1]));
      expect(cells).toEqual(matrix[g]);
    });
    // The loss chart has a point per epoch with the values of metrics.jsonl.
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const m of metrics) expect(html).toContain(`<title>training loss, epoch ${m.epoch}: ${Number(m.loss.toPrecision(4))}</title>`);
  });

  it('--out FILE --json: writes there and prints {"report": absolute path}', () => {
    const file = join(tempDir(), 'r.html');
    const result = run(['report', out, '--out', file, '--json']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ report: file });
    expect(readFileSync(file, 'utf8')).toContain('<!DOCTYPE html>');
  });

  it('a run whose dev file is gone still gets a report that says so', () => {
    const copy = join(tempDir(), 'moved-run');
    cpSync(out, copy, { recursive: true });
    for (const dir of ['model-best', 'model-last']) {
      const metaFile = join(copy, dir, 'meta.json');
      const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
      meta.config.data.dev = join(tempDir(), 'gone', 'dev.txt');
      writeFileSync(metaFile, JSON.stringify(meta));
    }
    const result = run(['report', copy]);
    expect(result.status).toBe(0);
    const html = readFileSync(join(copy, 'report.html'), 'utf8');
    expect(html).toMatch(/The dev file the run was trained with, \S+dev\.txt, is gone/);
    expect(html.match(/<svg /g)?.length).toBe(3);
  });

  it('a run without model-best: the curves and a note', () => {
    const copy = join(tempDir(), 'bare-run');
    mkdirSync(copy);
    cpSync(join(out, 'metrics.jsonl'), join(copy, 'metrics.jsonl'));
    const result = run(['report', copy]);
    expect(result.status).toBe(0);
    const html = readFileSync(join(copy, 'report.html'), 'utf8');
    expect(html).toContain('model-best/meta.json: missing');
    expect(html).toContain('Not available: no readable checkpoint meta.json');
  });

  it('--help says what the page holds and the exit codes', () => {
    const help = run(['report', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: ner-train report [options] <run-dir>');
    expect(help.stdout).toContain('Exit codes: 0 written; 2 no such run folder');
  });

  it('bad input: one line naming the problem, exit 2, no stack, nothing written', () => {
    const base = tempDir();
    const damaged = join(base, 'damaged');
    mkdirSync(damaged);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(damaged, 'metrics.jsonl'), `${lines[0]}\n${lines[1].slice(0, 30)}\n`);
    writeFileSync(join(base, 'a-file'), 'x');
    const cases: [string[], RegExp][] = [
      [['report', join(base, 'missing')], /missing: no such folder/],
      [['report', join(base, 'a-file')], /a-file: not a folder/],
      [['report', base], /metrics\.jsonl: no such file; not a training run folder/],
      [['report', damaged], /damaged\/metrics\.jsonl:2: not a JSON object/],
      [['report', out, '--out', join(base, 'no', 'such', 'r.html')], /r\.html: cannot write: folder .* does not exist/],
      [['report', out, '--out', base], /cannot write: is a folder/],
      [['report'], /missing required argument 'run-dir'/],
    ];
    for (const [args, message] of cases) {
      const result = run(args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr).not.toMatch(STACK_LINE);
      expect(result.stdout).toBe('');
    }
    expect(existsSync(join(damaged, 'report.html'))).toBe(false);
  });
});

describe('the report in a browser', () => {
  it('headless Chromium renders it: the charts\' and heat map\'s colours are on the screenshot', ({ skip }) => {
    if (process.env.NER_TRAIN_SKIP_BROWSER === '1') {
      console.warn('NER_TRAIN_SKIP_BROWSER=1: not rendering the report in Chromium');
      skip();
    }
    const chromium = process.env.NER_TRAIN_CHROMIUM ?? 'chromium';
    const version = spawnSync(chromium, ['--version'], { encoding: 'utf8' });
    if (version.error || version.status !== 0) {
      throw new Error(`${chromium} not found: install it (apt-get install -y chromium; .ci/run does) or set NER_TRAIN_SKIP_BROWSER=1 to skip this check`);
    }
    const html = join(out, 'report.html');
    if (!existsSync(html)) expect(run(['report', out]).status).toBe(0);
    const dir = tempDir('ner-train-chromium-');
    const png = join(dir, 'report.png');
    try {
      const shot = spawnSync(
        chromium,
        [
          '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'profile')}`, `--screenshot=${png}`,
          '--window-size=1280,2400', '--hide-scrollbars', pathToFileURL(html).href,
        ],
        { encoding: 'utf8', timeout: 90_000 },
      );
      expect(shot.status, shot.stderr).toBe(0);
      const image = decodePng(readFileSync(png));
      expect([image.width, image.height]).toEqual([1280, 2400]);
      const colours = colourCounts(image);
      // The page's grey background and its white panels cover most of it (which also says
      // the decoder undid the scanline filters right); a blank page would be one colour.
      const pixels = image.width * image.height;
      const top = [...colours.entries()].sort((a, b) => b[1] - a[1]).slice(0, 2);
      expect(top.map(([c]) => c).sort()).toEqual(['#f6f7f9', '#ffffff']);
      for (const [, count] of top) expect(count / pixels).toBeGreaterThan(0.1);
      expect(colours.size).toBeGreaterThan(200);
      // Exact colours only the page's own drawing puts there: the heat map's full-share
      // diagonal cell, the F1 and learning-rate lines and their points.
      for (const colour of ['#0072b2', '#009e73', '#d55e00']) expect(colours.get(colour) ?? 0, colour).toBeGreaterThan(50);
      if (process.env.NER_TRAIN_KEEP_SCREENSHOT) cpSync(png, process.env.NER_TRAIN_KEEP_SCREENSHOT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the end-of-training summary', () => {
  it('on a terminal shows the sparkline of dev F1; piped, the plain lines', () => {
    const dir = tempDir();
    const command = `${process.execPath} ${BIN} train --config configs/default.yaml --set training.epochs=3 --out ${join(dir, 'tty')}`;
    // script(1) gives the command a pseudo-terminal, as a person's shell would.
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '1' } });
    expect(tty.status, tty.stderr).toBe(0);
    const text = tty.stdout.replace(/\r/g, '');
    expect(text).toMatch(/^dev F1 by epoch [▁▂▃▄▅▆▇█]{3}  first \d+\.\d\d, best \d+\.\d\d \(epoch \d\), last \d+\.\d\d$/m);
    expect(text).toMatch(/^overall +\d+\.\d\d +\d+\.\d\d +\d+\.\d\d +375$/m);
    expect(text).toMatch(/^time .* for 3 epochs; [\d,]+ tok\/s mean/m);

    const piped = run(['train', '--config', 'configs/default.yaml', '--set', 'training.epochs=3', '--out', join(dir, 'piped')]);
    expect(piped.status).toBe(0);
    expect(piped.stdout).not.toMatch(/[▁▂▃▄▅▆▇█]|overall|\x1b\[/);
    expect(piped.stdout).toMatch(/^best epoch \d: dev F1/m);
  });
});

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { BIN, ROOT, run, STACK_LINE, tempDir } from './cli.js';

/**
 * ner-train as a shell script or a program uses it: predict streams (answers each
 * sentence as it arrives, memory flat however long the input), a reader that goes away
 * is not an error, and every --json object has the documented shape.
 */
const ENV = { ...process.env, NO_COLOR: '1', CI: '1' };
let dir = '';
let model = '';

beforeAll(() => {
  dir = tempDir('ner-train-scripting-');
  const trained = run(['train', '--config', 'configs/default.yaml', '--out', join(dir, 'run'), '--set', 'training.epochs=2', '--json']);
  expect(trained.status).toBe(0);
  model = join(dir, 'run', 'model-best');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sentence i of a generated stream: 5 to 24 tokens, some of them unknown to the model. */
function sentence(i: number): string {
  const words = ['Ostrava', 'beat', 'Kevish', '2', '-', '1', '.', 'Messarko', 'Dirzolov', 'flew', 'to', 'on', 'Monday', 'the', 'Bank', 'of'];
  const tokens: string[] = [];
  for (let t = 0; t < 5 + (i % 20); t++) tokens.push(words[(i * 7 + t * 13) % words.length] + (t % 5 === 0 ? String(i % 1000) : ''));
  return tokens.join(' ');
}

/** Writes n generated sentences to `stream` as the reader takes them (never the whole input in memory), then ends it. */
async function feed(stream: Writable, n: number): Promise<void> {
  stream.on('error', () => undefined);
  for (let i = 0; i < n; ) {
    let block = '';
    for (const end = Math.min(n, i + 500); i < end; i++) block += `${sentence(i)}\n`;
    if (!stream.write(block)) await new Promise((resolve) => stream.once('drain', resolve));
  }
  stream.end();
}

/**
 * Tags n generated sentences piped through `predict` and returns the sentences that came
 * out (blank-line count, read as it streams) and the process's peak RSS in MB, which a
 * preloaded module reads from process.resourceUsage() as the process exits.
 */
async function predictPeakRss(n: number, nodeOptions: string): Promise<{ sentences: number; peakMb: number; status: number | null; stderr: string }> {
  const rssFile = join(dir, `rss-${n}.txt`);
  const preload = join(dir, 'report-rss.cjs');
  writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`);
  const child = spawn(process.execPath, [BIN, 'predict', '-m', model], {
    cwd: ROOT,
    env: { ...ENV, NODE_OPTIONS: `--require ${preload} ${nodeOptions}` },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let sentences = 0;
  let previous = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = previous + chunk.toString();
    sentences += text.split('\n\n').length - 1;
    previous = text.endsWith('\n') ? '\n' : '';
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await feed(child.stdin, n);
  const status = await exited;
  return { sentences, peakMb: Number(readFileSync(rssFile, 'utf8')) / 1024, status, stderr };
}

describe('predict streams', () => {
  it('answers each sentence as it arrives, while its input stays open', async () => {
    const child = spawn(process.execPath, [BIN, 'predict', '-m', model, '--json'], { cwd: ROOT, env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let waiting: (() => void) | null = null;
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      waiting?.();
    });
    const nextLine = (count: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer within 20 s; got ${JSON.stringify(lines)}`)), 20_000);
        const check = (): void => {
          if (lines.length >= count) {
            clearTimeout(timer);
            waiting = null;
            resolve();
          }
        };
        waiting = check;
        check();
      });
    // Like a program that talks to `predict` through a pipe: one sentence, wait for its tags, the next.
    child.stdin.write('Messarko Dirzolov flew to Ostrava .\n');
    await nextLine(1);
    expect(JSON.parse(lines[0]).tokens).toEqual(['Messarko', 'Dirzolov', 'flew', 'to', 'Ostrava', '.']);
    child.stdin.write('Bank of Ostrava');
    child.stdin.write(' said so .\n');
    await nextLine(2);
    expect(JSON.parse(lines[1]).tokens).toEqual(['Bank', 'of', 'Ostrava', 'said', 'so', '.']);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(lines).toHaveLength(2);
  });

  it('a CoNLL sentence is answered once its blank line arrives', async () => {
    const child = spawn(process.execPath, [BIN, 'predict', '-m', model, '--format', 'conll'], { cwd: ROOT, env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const gotSentence = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.endsWith('\n\n')) resolve();
      });
    });
    child.stdin.write('Messarko NNP\nflew VBD\n');
    // Not yet: the sentence may go on.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(out).toBe('');
    child.stdin.write('\n');
    await gotSentence;
    expect(out).toMatch(/^Messarko NNP \S+\nflew VBD \S+\n\n$/);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdin.end();
    expect(await exited).toBe(0);
  });

  it('keeps its memory flat: 200,000 sentences through a pipe peak no higher than 20,000 do', async () => {
    // The JavaScript heap is capped at 32 MB: a predict that kept the input or the output
    // (200,000 sentences are 13 MB of text in, 40 MB out) dies of it.
    const small = await predictPeakRss(20_000, '--max-old-space-size=32');
    const large = await predictPeakRss(200_000, '--max-old-space-size=32');
    for (const [result, n] of [[small, 20_000], [large, 200_000]] as const) {
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.sentences).toBe(n);
    }
    // Measured: about 76 MB against 94 MB, the difference being V8's young generation
    // growing to its full size in a longer run, not the input: 500,000 sentences also peak at 94.
    expect(large.peakMb).toBeLessThan(small.peakMb + 32);
  });

  it('CRLF line ends and a byte-order mark read like plain lines', () => {
    const plain = run(['predict', '-m', model, '--format', 'conll', '--input', 'data/dev.txt']);
    const crlfFile = join(dir, 'dev-crlf.txt');
    writeFileSync(crlfFile, `\uFEFF${readFileSync(join(ROOT, 'data/dev.txt'), 'utf8').replaceAll('\n', '\r\n')}`);
    const crlf = run(['predict', '-m', model, '--format', 'conll', '--input', crlfFile]);
    expect(crlf.status).toBe(0);
    expect(plain.stdout.split('\n').length).toBeGreaterThan(2000);
    expect(crlf.stdout).toBe(plain.stdout);
  });

  it('a line that is not UTF-8 stops with file:line, after the sentences before it were tagged', () => {
    const latin1 = join(dir, 'latin1.txt');
    // "Zürich" in Latin-1 on line 2: the byte 0xFC alone is not UTF-8.
    writeFileSync(latin1, Buffer.concat([Buffer.from('EU rejects German call .\n'), Buffer.from([0x5a, 0xfc, 0x72, 0x69, 0x63, 0x68, 0x0a])]));
    const result = run(['predict', '-m', model, '--input', latin1]);
    expect(result.status).toBe(2);
    expect(result.stdout.split('\n')[0]).toMatch(/^EU /);
    expect(result.stderr).toContain(`${latin1}:2: not valid UTF-8`);
    expect(result.stderr).not.toMatch(STACK_LINE);
    const piped = pipeline(`printf 'Paris\\n\\xfc\\n' | $NER predict -m "$MODEL" >/dev/null; echo "status $?"`);
    expect(piped.stdout).toContain('status 2');
    expect(piped.stderr).toContain('stdin:2: not valid UTF-8');
  });

  it('a folder given as --input is a usage error, before any output', () => {
    const result = run(['predict', '-m', model, '--input', dir]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${dir}: is a folder, expected a file`);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });
});

/** Runs a bash script with $NER (the built CLI) and $MODEL (the trained checkpoint) set; the script echoes the statuses it wants checked. */
function pipeline(script: string): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync('bash', ['-c', script], { cwd: ROOT, env: { ...ENV, NER: `${process.execPath} ${BIN}`, MODEL: model }, encoding: 'utf8', timeout: 60_000 });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

describe('a reader that goes away early', () => {
  it('`yes … | predict | head -n 3` ends at once, exit 0, nothing on stderr', () => {
    const started = Date.now();
    const result = pipeline('yes "Ostrava beat Kevish 2 - 1 ." | $NER predict -m "$MODEL" 2>predict.err | head -n 3; echo "status ${PIPESTATUS[1]}"; cat predict.err >&2; rm -f predict.err');
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3).map((l) => l.split(' ')[0])).toEqual(['Ostrava', 'beat', 'Kevish']);
    expect(lines[3]).toBe('status 0');
    expect(result.stderr).toBe('');
    // The input never ends: only stopping on EPIPE lets the pipeline finish.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('predict --format conll --json from a file into `head -n 2`: JSON lines only (no -DOCSTART-)', () => {
    const result = pipeline('$NER predict -m "$MODEL" -f conll --json -i data/train.txt | head -n 2; echo "status ${PIPESTATUS[0]}"');
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines.slice(0, 2)) expect(Object.keys(JSON.parse(line))).toEqual(['tokens', 'tags', 'entities']);
    expect(lines[2]).toBe('status 0');
    expect(result.stderr).toBe('');
  });

  it('every command exits 0 without a word when stdout is closed before it writes', () => {
    for (const command of ['init-config', 'init-config --json', '--help', 'evaluate -m "$MODEL" -d data/dev.txt', 'evaluate -m "$MODEL" -d data/dev.txt --json', 'predict -m "$MODEL" -i data/train.txt']) {
      // `true` exits without reading: the writes meet a closed pipe (EPIPE).
      const result = pipeline(`$NER ${command} | (exec 0<&-; sleep 0.1; true); echo "status \${PIPESTATUS[0]}"`);
      expect({ command, stdout: result.stdout, stderr: result.stderr }).toEqual({ command, stdout: 'status 0\n', stderr: '' });
    }
  });

  it('training goes on to the end when the reader of its progress (stderr) goes away', () => {
    const out = join(dir, 'run-stderr-closed');
    const result = pipeline(`$NER train -c configs/default.yaml --out "${out}" --set training.epochs=3 2>&1 >/dev/null | head -n 1 >/dev/null; echo "status \${PIPESTATUS[0]}"`);
    expect(result.stdout).toBe('status 0\n');
    const epochs = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(epochs).toHaveLength(3);
    expect(existsSync(join(out, 'model-last', 'model.safetensors'))).toBe(true);
  });
});

describe.runIf(existsSync('/dev/full'))('output that cannot be written (a full disk: /dev/full)', () => {
  it('stdout: exit 1 with one line, no stack trace', () => {
    for (const command of ['init-config', 'evaluate -m "$MODEL" -d data/dev.txt --json', 'predict -m "$MODEL" -i data/dev.txt -f conll']) {
      const result = pipeline(`$NER ${command} >/dev/full; echo "status $?"`);
      expect({ command, stdout: result.stdout }).toEqual({ command, stdout: 'status 1\n' });
      expect(result.stderr).toMatch(/^ner-train: cannot write the output \(stdout\): ENOSPC/);
      expect(result.stderr).not.toMatch(STACK_LINE);
    }
  });

  it('stderr: training goes on to the end without its progress lines', () => {
    const out = join(dir, 'run-stderr-full');
    const result = pipeline(`$NER train -c configs/default.yaml --out "${out}" --set training.epochs=2 --json 2>/dev/full; echo "status $?"`);
    const [summary, status] = result.stdout.trim().split('\n');
    expect(status).toBe('status 0');
    expect(JSON.parse(summary).epochs).toHaveLength(2);
    expect(existsSync(join(out, 'model-best', 'model.safetensors'))).toBe(true);
  });
});

describe('--json output', () => {
  it('train --json: one object on stdout, progress on stderr', () => {
    const out = join(dir, 'run-json');
    const result = run(['train', '-c', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=2', '--json']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('epoch 2');
    const summary = JSON.parse(result.stdout);
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(['out_dir', 'interrupted', 'best_epoch', 'best', 'epochs', 'data', 'elapsed_s']));
    expect(summary.out_dir).toBe(out);
    expect(summary.interrupted).toBe(false);
    expect(summary.epochs).toHaveLength(2);
    expect(summary.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    // The epochs are metrics.jsonl's lines, and best is the best epoch's dev scores.
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(summary.epochs).toEqual(lines);
    expect(summary.best.f1).toBe(lines[summary.best_epoch - 1].dev_f1);
    for (const key of ['precision', 'recall', 'f1', 'accuracy', 'per_type']) expect(summary.best).toHaveProperty(key);
    expect(Object.keys(summary.data)).toEqual(expect.arrayContaining(['train', 'dev', 'scheme', 'labels', 'vocab_size', 'parameters']));
    expect(typeof summary.elapsed_s).toBe('number');
  });

  it('evaluate --json: the documented keys, fractions in [0, 1]', () => {
    const result = run(['evaluate', '-m', model, '-d', 'data/dev.txt', '--json']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const scores = JSON.parse(result.stdout);
    expect(Object.keys(scores).sort()).toEqual(
      ['accuracy', 'confusion', 'correct_entities', 'decode', 'f1', 'gold_entities', 'oov', 'per_type', 'precision', 'predicted_entities', 'recall', 'scheme', 'sentences', 'task', 'tokens'].sort(),
    );
    expect(scores.task).toBe('tagger');
    for (const key of ['precision', 'recall', 'f1', 'accuracy']) {
      expect(scores[key]).toBeGreaterThanOrEqual(0);
      expect(scores[key]).toBeLessThanOrEqual(1);
    }
    expect(scores.confusion.matrix).toHaveLength(scores.confusion.labels.length);
    expect(scores.confusion.matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(scores.tokens);
  });

  it('init-config --json is the YAML default config, as JSON that trains', () => {
    const yaml = run(['init-config']);
    const json = run(['init-config', '--json']);
    expect(json.status).toBe(0);
    const config = JSON.parse(json.stdout);
    expect(config).toEqual(YAML.parse(yaml.stdout));
    const file = join(dir, 'config.json');
    config.data.train = join(ROOT, 'data/train.txt');
    config.model.hidden = 20;
    config.training.epochs = 1;
    writeFileSync(file, JSON.stringify(config));
    const trained = run(['train', '-c', file, '--out', join(dir, 'run-from-json'), '--json']);
    expect(trained.status).toBe(0);
    expect(JSON.parse(trained.stdout).epochs).toHaveLength(1);
  });

  it('an error in --json mode: exit 2, one message on stderr, nothing on stdout', () => {
    const cases: string[][] = [
      ['evaluate', '-m', join(dir, 'nowhere'), '-d', 'data/dev.txt', '--json'],
      ['evaluate', '-m', model, '-d', join(dir, 'missing.txt'), '--json'],
      ['train', '-c', 'configs/default.yaml', '--set', 'model.activation=tahn', '--out', join(dir, 'never'), '--json'],
      ['predict', '-m', model, '--json', '--input', join(dir, 'missing.txt')],
      ['gradcheck', '--json', '--set', 'model.window=-1'],
    ];
    for (const args of cases) {
      const result = run(args);
      expect({ args, status: result.status, stdout: result.stdout }).toEqual({ args, status: 2, stdout: '' });
      expect(result.stderr).toMatch(/^ner-train: \S/);
      expect(result.stderr).not.toMatch(STACK_LINE);
    }
  });
});

import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACTIVATION_NAMES, ACTIVATIONS } from '../../src/math/activations.js';
import type { FloatArray } from '../../src/math/matrix.js';
import { WindowScorer } from '../../src/model/window-scorer.js';
import { Regularizer } from '../../src/objective/regularization.js';
import { GRADIENT_FLOOR, LOSS_NAMES, relativeError, runGradcheck, type GradcheckReport, type ParamCheck } from '../../src/gradcheck/gradcheck.js';

const PARAMS = ['W', 'b', 'U', 'c', 'E.word', 'E.caps', 'E.suffix', 'E.prefix'];

function worstBy(checks: ParamCheck[], key: (c: ParamCheck) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of checks) out.set(key(c), Math.max(out.get(key(c)) ?? 0, c.max_rel_error));
  return out;
}

describe('runGradcheck on the real code', () => {
  let report: GradcheckReport;
  beforeAll(() => {
    report = runGradcheck();
  });

  it('passes with max_rel_error < 1e-6', () => {
    expect(report.passed).toBe(true);
    expect(report.max_rel_error).toBeLessThan(1e-6);
    expect(report.tolerance).toBe(1e-6);
    expect(report.epsilon).toBe(1e-4);
    for (const c of report.checks) expect(c.max_rel_error).toBeLessThan(1e-6);
    expect(report.max_rel_error).toBe(Math.max(...report.checks.map((c) => c.max_rel_error)));
  });

  it('covers every activation × loss × dropout × preprocess × L2 × parameter exactly once', () => {
    const expected: string[] = [];
    for (const a of ACTIVATION_NAMES)
      for (const l of LOSS_NAMES)
        for (const d of [false, true])
          for (const pre of ['none', 'whiten'])
            for (const reg of ['none', 'l2']) for (const p of PARAMS) expected.push(`${a}|${l}|${d}|${pre}|${reg}|label|tagger|${p}`);
    const grid = report.checks.filter(
      (c) =>
        c.corruption === 'label' &&
        c.task === 'tagger' &&
        c.regularization !== 'l1' &&
        (c.preprocess === 'none' || c.preprocess === 'whiten') &&
        c.loss !== null &&
        LOSS_NAMES.includes(c.loss) &&
        c.o_weight === 1 &&
        c.input_dropout !== true,
    );
    const seen = grid.map((c) => `${c.activation}|${c.loss}|${c.dropout}|${c.preprocess}|${c.regularization}|${c.corruption}|${c.task}|${c.param}`);
    expect(seen.length).toBe(6 * 3 * 2 * 2 * 2 * PARAMS.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...expected].sort());
  });

  it('also covers centre-word corruption, the single-score detector, L1, center and standardize for every activation', () => {
    for (const a of ACTIVATION_NAMES) {
      const mine = report.checks.filter((c) => c.activation === a);
      const centre = mine.filter((c) => c.task === 'tagger' && c.corruption !== 'label');
      expect(new Set(centre.map((c) => c.corruption))).toEqual(new Set(['center-word', 'both']));
      const detector = mine.filter((c) => c.task === 'entity-detector');
      expect(detector.length).toBe(2 * PARAMS.length);
      expect(detector.every((c) => c.loss === null)).toBe(true);
      expect(mine.filter((c) => c.regularization === 'l1').length).toBe(PARAMS.length);
      for (const mode of ['center', 'standardize']) expect(mine.filter((c) => c.preprocess === mode).length).toBe(PARAMS.length);
      expect(mine.filter((c) => c.o_weight !== 1).length).toBe(2 * PARAMS.length);
      for (const c of [...centre, ...detector]) expect(c.max_rel_error).toBeLessThan(1e-6);
    }
  });

  it('checks both sentence-level losses with their transition scores for every activation', () => {
    for (const a of ACTIVATION_NAMES) {
      for (const loss of ['sentence-margin', 'sentence-log-likelihood']) {
        const mine = report.checks.filter((c) => c.activation === a && c.loss === loss);
        // plain, with dropout + whitening + L2, and with input dropout: W, b, U, c, E.word, E.caps, E.suffix, E.prefix, A.start, A.trans each
        expect(mine.length).toBe(3 * 10);
        expect(mine.find((c) => c.param === 'A.trans')?.entries).toBe(16);
        expect(mine.find((c) => c.param === 'A.start')?.entries).toBe(4);
        for (const c of mine) expect(c.max_rel_error).toBeLessThan(1e-6);
      }
    }
  });

  it('checks input dropout (a fixed mask) with a window margin, softmax over whitened inputs and both sentence losses', () => {
    for (const a of ACTIVATION_NAMES) {
      const mine = report.checks.filter((c) => c.activation === a && c.input_dropout === true);
      expect(new Set(mine.map((c) => c.loss))).toEqual(new Set(['max-margin-sum', 'softmax', 'sentence-margin', 'sentence-log-likelihood']));
      expect(mine.filter((c) => c.param === 'E.word')).toHaveLength(4);
      for (const c of mine) expect(c.max_rel_error).toBeLessThan(1e-6);
    }
  });

  it('gives the detector one score: U is 1×H and c a single entry', () => {
    const detector = report.checks.filter((c) => c.task === 'entity-detector');
    expect(detector.find((c) => c.param === 'U')?.entries).toBe(6);
    expect(detector.find((c) => c.param === 'c')?.entries).toBe(1);
  });

  it('checks every entry of these small parameters', () => {
    // halfWidth 1 → 3 positions, word dim 4 + caps, suffix and prefix dims 2 → D = 30, H = 6, K = 4;
    // word rows 9, caps rows 6, suffix and prefix rows 5
    const entries = new Map(report.checks.filter((c) => c.task === 'tagger' && !c.param.startsWith('A.')).map((c) => [c.param, c.entries]));
    expect(Object.fromEntries(entries)).toEqual({ W: 6 * 30, b: 6, U: 4 * 6, c: 4, 'E.word': 9 * 4, 'E.caps': 6 * 2, 'E.suffix': 5 * 2, 'E.prefix': 5 * 2 });
  });

  it('is deterministic', () => {
    const once = (): GradcheckReport => runGradcheck({ activations: ['tanh'], losses: ['softmax'] });
    expect(once()).toEqual(once());
  });

  it('honours its options', () => {
    const small = runGradcheck({ activations: ['relu'], losses: ['max-margin-sum'], capsDim: 0, suffixDim: 0, prefixDim: 0, maxEntriesPerParam: 10, extras: false });
    // dropout × preprocess × L2 = 8 cases of 5 parameters each
    expect(small.checks.map((c) => c.param)).toEqual(Array.from({ length: 8 }, () => ['W', 'b', 'U', 'c', 'E.word']).flat());
    for (const c of small.checks) expect(c.entries).toBeLessThanOrEqual(10);
    expect(small.checks.find((c) => c.param === 'b')?.entries).toBe(6);
    expect(small.passed).toBe(true);
    const suffixOnly = runGradcheck({ activations: ['relu'], losses: ['softmax'], capsDim: 0, prefixDim: 0, suffixDim: 3, extras: false });
    expect([...new Set(suffixOnly.checks.map((c) => c.param))]).toEqual(['W', 'b', 'U', 'c', 'E.word', 'E.suffix']);
    expect(suffixOnly.checks.find((c) => c.param === 'E.suffix')?.entries).toBe(5 * 3);
    // An impossible tolerance fails the report without changing the measured errors.
    const strict = runGradcheck({ activations: ['tanh'], losses: ['softmax'], tolerance: 1e-20 });
    expect(strict.passed).toBe(false);
    expect(strict.tolerance).toBe(1e-20);
  });
});

describe('runGradcheck catches a wrong derivative in an activation', () => {
  const original = ACTIVATIONS.tanh.backward;
  afterEach(() => {
    ACTIVATIONS.tanh.backward = original;
  });

  it('tanh′ written as (1 − a) instead of (1 − a²) fails W, b and the embeddings, not U or c', () => {
    ACTIVATIONS.tanh.backward = (grad: FloatArray, _z: FloatArray, a: FloatArray, n: number): void => {
      for (let i = 0; i < n; i++) grad[i] *= 1 - a[i];
    };
    const report = runGradcheck({ activations: ['tanh', 'sigmoid'] });
    expect(report.passed).toBe(false);
    expect(report.max_rel_error).toBeGreaterThan(1e-2);
    for (const c of report.checks) {
      const upstream = c.param === 'W' || c.param === 'b' || c.param.startsWith('E.');
      if (c.activation === 'tanh' && upstream) expect(c.max_rel_error, `${c.loss} ${c.dropout} ${c.param}`).toBeGreaterThan(1e-2);
      else expect(c.max_rel_error, `${c.activation} ${c.loss} ${c.dropout} ${c.param}`).toBeLessThan(1e-6);
    }
  });

  it('passes again once the derivative is restored', () => {
    expect(runGradcheck({ activations: ['tanh'] }).passed).toBe(true);
  });
});

describe('runGradcheck catches a wrong gradient elsewhere', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('+1e-3 on ∂c after backward fails exactly the c parameter', () => {
    const originalBackward = WindowScorer.prototype.backward;
    vi.spyOn(WindowScorer.prototype, 'backward').mockImplementation(function (this: WindowScorer, dS: FloatArray, ids: Int32Array, B: number): void {
      originalBackward.call(this, dS, ids, B);
      for (let k = 0; k < this.grads.c.length; k++) this.grads.c[k] += 1e-3;
    });
    const report = runGradcheck();
    expect(report.passed).toBe(false);
    const worst = worstBy(report.checks, (c) => c.param);
    expect(worst.get('c')).toBeGreaterThan(1e-4);
    for (const p of PARAMS.filter((q) => q !== 'c')) expect(worst.get(p), p).toBeLessThan(1e-6);
    // every case fails on c
    for (const c of report.checks.filter((x) => x.param === 'c')) expect(c.max_rel_error).toBeGreaterThan(1e-6);
  });

  it('a suffix gradient at half strength fails E.suffix only', () => {
    // A slip in one table's share of ∂x (a wrong offset or scale) is what a generic table loop could hide.
    const originalBackward = WindowScorer.prototype.backward;
    vi.spyOn(WindowScorer.prototype, 'backward').mockImplementation(function (this: WindowScorer, dS: FloatArray, ids: Int32Array, B: number): void {
      originalBackward.call(this, dS, ids, B);
      const tg = this.tableGrads[this.tables.findIndex((table) => table.name === 'suffix')];
      for (let i = 0; i < tg.count * tg.table.dim; i++) tg.grad[i] *= 0.5;
    });
    const report = runGradcheck({ activations: ['tanh'], losses: ['softmax', 'max-margin-sum'] });
    expect(report.passed).toBe(false);
    const worst = worstBy(report.checks, (c) => c.param);
    expect(worst.get('E.suffix')).toBeGreaterThan(1e-2);
    for (const p of PARAMS.filter((q) => q !== 'E.suffix')) expect(worst.get(p), p).toBeLessThan(1e-6);
  });

  it('a dropped-out backward that forgets the masks fails (dropout and input-dropout cases only)', () => {
    // Re-run the forward pass without dropout before backward: the backward then sees the undropped activations.
    const originalBackward = WindowScorer.prototype.backward;
    const originalForward = WindowScorer.prototype.forward;
    vi.spyOn(WindowScorer.prototype, 'backward').mockImplementation(function (this: WindowScorer, dS: FloatArray, ids: Int32Array, B: number): void {
      originalForward.call(this, ids, B, false);
      originalBackward.call(this, dS, ids, B);
    });
    const report = runGradcheck({ activations: ['tanh'], losses: ['softmax'] });
    expect(report.passed).toBe(false);
    // Hidden or input dropout: either mask is lost by the undropped forward.
    const byDropout = worstBy(report.checks, (c) => String(c.dropout || c.input_dropout === true));
    expect(byDropout.get('false')).toBeLessThan(1e-6);
    expect(byDropout.get('true')).toBeGreaterThan(1e-2);
  });
});

describe('relativeError', () => {
  it('is |a − n| / max(|a|, |n|, floor)', () => {
    expect(GRADIENT_FLOOR).toBe(1e-4);
    expect(relativeError(1, 1)).toBe(0);
    expect(relativeError(0, 0)).toBe(0);
    // |1 − 1.001| / 1.001
    expect(relativeError(1, 1.001)).toBeCloseTo(0.001 / 1.001, 15);
    expect(relativeError(1.001, 1)).toBeCloseTo(0.001 / 1.001, 15);
    // opposite signs: |−2 − 2| / 2 = 2
    expect(relativeError(-2, 2)).toBe(2);
    // below the floor: absolute error / 1e-4
    expect(relativeError(1e-12, -1e-12)).toBeCloseTo(2e-8, 20);
    expect(relativeError(0, 1e-5)).toBeCloseTo(0.1, 15);
    // just above the floor the scale is the larger magnitude: |3e-4 − 2e-4| / 3e-4 = 1/3
    expect(relativeError(3e-4, 2e-4)).toBeCloseTo(1 / 3, 12);
  });
});

describe('runGradcheck catches wrong gradients of the new pieces', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('a penalty gradient at half strength on W (2λW written λW) fails the penalised cases on W only', () => {
    const original = Regularizer.prototype.apply;
    vi.spyOn(Regularizer.prototype, 'apply').mockImplementation(function (this: Regularizer, model: WindowScorer, withGrad: boolean): number {
      const before = Float64Array.from(model.grads.W);
      const penalty = original.call(this, model, withGrad);
      // Undo half of what the penalty added to ∂W: as if the code added λ·W instead of 2·λ·W.
      if (withGrad) for (let i = 0; i < before.length; i++) model.grads.W[i] = before[i] + (model.grads.W[i] - before[i]) / 2;
      return penalty;
    });
    const report = runGradcheck({ activations: ['tanh'], losses: ['softmax'] });
    expect(report.passed).toBe(false);
    for (const c of report.checks) {
      const broken = c.regularization !== 'none' && c.param === 'W';
      if (broken) expect(c.max_rel_error, `${c.preprocess} ${c.dropout} ${c.task}`).toBeGreaterThan(1e-3);
      else expect(c.max_rel_error, `${c.regularization} ${c.param}`).toBeLessThan(1e-6);
    }
  });

  it('a backward that skips the whitening map fails the whitened cases on the embeddings only', () => {
    const originalSet = WindowScorer.prototype.setPreprocessor;
    const originalBackward = WindowScorer.prototype.backward;
    vi.spyOn(WindowScorer.prototype, 'backward').mockImplementation(function (this: WindowScorer, dS: FloatArray, ids: Int32Array, B: number): void {
      const p = this.inputPreprocessor;
      if (!p || p.mode === 'none') {
        originalBackward.call(this, dS, ids, B);
        return;
      }
      // Forward ran with the map; backward pretends it was the identity (forgets ∂x = ∂x'·A).
      originalSet.call(this, { ...p, mode: 'center', transform: null });
      originalBackward.call(this, dS, ids, B);
      originalSet.call(this, p);
    });
    const report = runGradcheck({ activations: ['tanh'], losses: ['softmax'], extras: false });
    expect(report.passed).toBe(false);
    for (const c of report.checks) {
      const broken = c.preprocess === 'whiten' && c.param.startsWith('E.');
      if (broken) expect(c.max_rel_error, `${c.param}`).toBeGreaterThan(1e-3);
      else expect(c.max_rel_error, `${c.preprocess} ${c.param}`).toBeLessThan(1e-6);
    }
  });
});

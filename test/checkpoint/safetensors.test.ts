import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, MAX_HEADER_SIZE, type Tensor } from '../../src/checkpoint/safetensors.js';
import { UserError } from '../../src/errors.js';

const SOURCE = 'ckpt/model.safetensors';

/** Builds a safetensors file by hand: u64 LE header length, header text, data bytes. */
function buildFile(header: string | object, data: Uint8Array = new Uint8Array(0), headerLength?: bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function f32Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

function expectUserError(run: () => unknown, pattern: RegExp): UserError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(UserError);
  const error = caught as UserError;
  expect(error.message.startsWith(`${SOURCE}: `)).toBe(true);
  expect(error.message).toMatch(pattern);
  expect(error.message).not.toContain('\n');
  return error;
}

function decode(bytes: Uint8Array): ReturnType<typeof decodeSafetensors> {
  return decodeSafetensors(bytes, SOURCE);
}

describe('round trip', () => {
  const tensors = new Map<string, Tensor>([
    ['emb', { dtype: 'F32', shape: [3, 5], data: Float32Array.from({ length: 15 }, (_, i) => Math.fround(i * 0.37 - 2.1)) }],
    ['odd_f32', { dtype: 'F32', shape: [7], data: Float32Array.from([1, -1, 0.1, 3.4e38, -0, 1e-45, Number.NaN]) }],
    ['f64', { dtype: 'F64', shape: [3], data: Float64Array.from([Math.PI, -Infinity, 5e-324]) }],
    ['f64_matrix', { dtype: 'F64', shape: [2, 1, 3], data: Float64Array.from([1, 2, 3, 4, 5, 6]) }],
    ['ints', { dtype: 'I32', shape: [5], data: Int32Array.from([0, -1, 2147483647, -2147483648, 42]) }],
    ['scalar_f32', { dtype: 'F32', shape: [], data: Float32Array.from([2.5]) }],
    ['scalar_i32', { dtype: 'I32', shape: [], data: Int32Array.from([-7]) }],
    ['scalar_f64', { dtype: 'F64', shape: [], data: Float64Array.from([1 / 3]) }],
    ['empty', { dtype: 'F32', shape: [0], data: new Float32Array(0) }],
    ['empty_3d', { dtype: 'F64', shape: [3, 0, 2], data: new Float64Array(0) }],
    ['après', { dtype: 'I32', shape: [1], data: Int32Array.from([9]) }],
  ]);
  const metadata = { format: 'ner-train', version: '1', 'clé ✓': 'välue "quoted"\n', empty: '' };

  it('gives back every tensor bit for bit, with its dtype, shape and the metadata', () => {
    const decoded = decode(encodeSafetensors(tensors, metadata));
    expect(decoded.metadata).toEqual(metadata);
    expect([...decoded.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, tensor] of tensors) {
      const got = decoded.tensors.get(name)!;
      expect(got.dtype, name).toBe(tensor.dtype);
      expect(got.shape, name).toEqual(tensor.shape);
      expect(got.data.constructor, name).toBe(tensor.data.constructor);
      // Byte comparison: catches -0 vs 0 and NaN payloads that toEqual would blur.
      expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength), name).toEqual(
        Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
      );
    }
  });

  it('accepts a plain record and keeps integer-like names in the order given', () => {
    const record: Record<string, Tensor> = {
      b: { dtype: 'I32', shape: [1], data: Int32Array.from([1]) },
      '10': { dtype: 'I32', shape: [1], data: Int32Array.from([2]) },
    };
    const encoded = encodeSafetensors(new Map([['b', record.b], ['10', record['10']]]));
    const header = encoded.subarray(8, 8 + Number(encoded.readBigUInt64LE(0))).toString('utf8');
    expect(header.indexOf('"b"')).toBeLessThan(header.indexOf('"10"'));
    expect(header).toContain('"b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}');
    expect(header).toContain('"10":{"dtype":"I32","shape":[1],"data_offsets":[4,8]}');
    const decoded = decode(encodeSafetensors(record));
    expect(Array.from(decoded.tensors.get('10')!.data)).toEqual([2]);
    expect(decoded.metadata).toEqual({});
  });

  it('returns aligned copies even when the input bytes sit at an odd offset in a shared buffer', () => {
    const encoded = encodeSafetensors({ w: { dtype: 'F64', shape: [2], data: Float64Array.from([1.5, -2]) } });
    const backing = new Uint8Array(encoded.length + 3);
    backing.set(encoded, 3);
    const decoded = decode(backing.subarray(3));
    const w = decoded.tensors.get('w')!;
    expect(Array.from(w.data)).toEqual([1.5, -2]);
    expect(w.data.byteOffset).toBe(0);
    backing.fill(0);
    expect(Array.from(w.data)).toEqual([1.5, -2]); // a copy, not a view
  });

  it('decodes from a Node Buffer into copies, not views of the Buffer', () => {
    const encoded = encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) } });
    const decoded = decode(encoded);
    encoded.fill(0xff);
    expect(Array.from(decoded.tensors.get('a')!.data)).toEqual([1, 2]);
  });

  it('handles a file with no tensors at all', () => {
    const decoded = decode(encodeSafetensors({}));
    expect(decoded.tensors.size).toBe(0);
    expect(decoded.metadata).toEqual({});
  });

  it('rejects tensors whose data does not match their declaration (a programming error, not a UserError)', () => {
    expect(() => encodeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(/shape \[3\] but 2 values/);
    expect(() => encodeSafetensors({ x: { dtype: 'F64', shape: [2], data: new Float32Array(2) } })).toThrow(/dtype F64/);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [], data: new Float32Array(1) } })).toThrow(
      /__metadata__/,
    );
    expect(() => encodeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).not.toThrow(UserError);
  });
});

describe('exact bytes', () => {
  const le = (n: number): number[] => [n, 0, 0, 0, 0, 0, 0, 0];
  const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

  it('writes the header length, the compact JSON, no padding when already aligned, then little-endian floats', () => {
    // Same tensor as the reference implementation's test_serialization (safetensors/src/tensor.rs).
    const out = encodeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) } });
    const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(json.length).toBe(64);
    const floats = [0, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40, 0, 0, 0xa0, 0x40];
    expect([...out]).toEqual([...le(64), ...ascii(json), ...floats]);
  });

  it('pads the header with spaces to a multiple of 8', () => {
    // Reference test_serialization_forced_alignement: a 65-byte header padded to 72.
    const out = encodeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) } });
    const json = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    expect(json.length).toBe(65);
    expect(out.readBigUInt64LE(0)).toBe(72n);
    expect([...out.subarray(8, 80)]).toEqual([...ascii(json), ...Array(7).fill(0x20)]);
    expect((8 + 72) % 8).toBe(0);
    expect([...out.subarray(80, 88)]).toEqual([0, 0, 0, 0, 0, 0, 0x80, 0x3f]);
  });

  it('writes an empty file and __metadata__ exactly as the reference does', () => {
    expect([...encodeSafetensors({})]).toEqual([...le(8), ...ascii('{}'), ...Array(6).fill(0x20)]);
    const json = '{"__metadata__":{"framework":"pt"}}';
    expect([...encodeSafetensors({}, { framework: 'pt' })]).toEqual([...le(40), ...ascii(json), ...Array(5).fill(0x20)]);
  });

  it('writes F64 and I32 little-endian, back to back in the order given', () => {
    const out = encodeSafetensors(
      new Map<string, Tensor>([
        ['i', { dtype: 'I32', shape: [1], data: Int32Array.from([-2]) }],
        ['d', { dtype: 'F64', shape: [], data: Float64Array.from([1]) }],
      ]),
    );
    const n = Number(out.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(out.subarray(8, 8 + n).toString('utf8')) as Record<string, { data_offsets: number[] }>;
    expect(header.i.data_offsets).toEqual([0, 4]);
    expect(header.d.data_offsets).toEqual([4, 12]);
    expect([...out.subarray(8 + n)]).toEqual([0xfe, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  });
});

describe('hand-built files', () => {
  it('decodes tensors listed out of offset order, with an unpadded header and metadata', () => {
    const data = new Uint8Array(4 * 3 + 8 + 4);
    const view = new DataView(data.buffer);
    [1.25, -3, 1e10].forEach((v, i) => view.setFloat32(i * 4, v, true));
    view.setFloat64(12, -0.5, true);
    view.setInt32(20, 123456789, true);
    const file = buildFile(
      // Note "i" and "d" precede "w" although their data comes after; "scalar" and "z" are zero/one-element.
      `{"i":{"dtype":"I32","shape":[],"data_offsets":[20,24]},"d":{"dtype":"F64","shape":[1,1],"data_offsets":[12,20]},` +
        `"z":{"dtype":"F32","shape":[2,0],"data_offsets":[12,12]},"__metadata__":{"epoch":"3"},` +
        `"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}`,
      data,
    );
    const { tensors, metadata } = decode(file);
    expect(metadata).toEqual({ epoch: '3' });
    expect(Array.from(tensors.get('w')!.data)).toEqual([1.25, -3, 1e10]);
    expect(tensors.get('w')!.data).toBeInstanceOf(Float32Array);
    expect(tensors.get('d')).toEqual({ dtype: 'F64', shape: [1, 1], data: Float64Array.from([-0.5]) });
    expect(tensors.get('i')).toEqual({ dtype: 'I32', shape: [], data: Int32Array.from([123456789]) });
    expect(tensors.get('z')).toEqual({ dtype: 'F32', shape: [2, 0], data: new Float32Array(0) });
  });

  it('accepts the reference example from the safetensors docs (I32 [2,2], zero data)', () => {
    const file = buildFile('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', new Uint8Array(16));
    expect(decode(file).tensors.get('test')).toEqual({ dtype: 'I32', shape: [2, 2], data: new Int32Array(4) });
  });

  it('ignores unknown fields inside a tensor entry and accepts a null __metadata__, like the reference reader', () => {
    const file = buildFile({ __metadata__: null, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4], extra: true } }, f32Bytes([7]));
    const { tensors, metadata } = decode(file);
    expect(metadata).toEqual({});
    expect(Array.from(tensors.get('a')!.data)).toEqual([7]);
  });

  it('keeps a "__proto__" metadata key as plain data', () => {
    const { metadata } = decode(buildFile('{"__metadata__":{"__proto__":"x"}}'));
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(Object.keys(metadata)).toEqual(['__proto__']);
  });
});

describe('malformed files give a one-line UserError naming the file', () => {
  const valid = encodeSafetensors(
    {
      a: { dtype: 'F32', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) },
      b: { dtype: 'I32', shape: [], data: Int32Array.from([5]) },
    },
    { k: 'v' },
  );

  it('the valid file itself decodes', () => {
    expect(decode(valid).tensors.size).toBe(2);
  });

  it('every truncation of a valid file', () => {
    for (let cut = 0; cut < valid.length; cut++) {
      expectUserError(() => decode(valid.subarray(0, cut)), /./);
    }
    expectUserError(() => decode(valid.subarray(0, 5)), /too short/);
    expectUserError(() => decode(valid.subarray(0, 20)), /header length \d+ is larger than the file \(20 bytes\)/);
    expectUserError(() => decode(valid.subarray(0, valid.length - 1)), /past the end of the data/);
  });

  it('header length over the 100MB limit, or beyond the file', () => {
    expectUserError(() => decode(buildFile('{}', undefined, BigInt(MAX_HEADER_SIZE + 1))), /larger than the safetensors limit/);
    expectUserError(() => decode(buildFile('{}', undefined, 2n ** 64n - 1n)), /18446744073709551615/);
    expectUserError(() => decode(buildFile('{}', undefined, 123456n)), /header length 123456 is larger than the file \(10 bytes\)/);
  });

  it('a header that is not UTF-8, not JSON, or not an object', () => {
    const badUtf8 = buildFile('{"a":1}');
    badUtf8[10] = 0xff;
    expectUserError(() => decode(badUtf8), /not valid UTF-8/);
    expectUserError(() => decode(buildFile('{"a": {')), /not valid JSON/);
    expectUserError(() => decode(buildFile('\u0000\u0000\u0000\u0000')), /not valid JSON/);
    expectUserError(() => decode(buildFile('[1,2]')), /expected a JSON object/);
    expectUserError(() => decode(buildFile('42')), /expected a JSON object/);
    expectUserError(() => decode(buildFile('null')), /expected a JSON object/);
  });

  it('bad __metadata__', () => {
    expectUserError(() => decode(buildFile({ __metadata__: { epoch: 3 } })), /__metadata__\.epoch is 3, expected a string/);
    expectUserError(() => decode(buildFile({ __metadata__: ['x'] })), /__metadata__ is \["x"\]/);
  });

  it('bad or unsupported dtypes', () => {
    const entry = (dtype: unknown): object => ({ t: { dtype, shape: [1], data_offsets: [0, 4] } });
    expectUserError(() => decode(buildFile(entry('F16'), new Uint8Array(4))), /tensor t has dtype F16, which ner-train does not read/);
    expectUserError(() => decode(buildFile(entry('float32'), new Uint8Array(4))), /tensor t has unknown dtype "float32"/);
    expectUserError(() => decode(buildFile(entry(4), new Uint8Array(4))), /unknown dtype 4/);
    expectUserError(() => decode(buildFile(entry('constructor'), new Uint8Array(4))), /unknown dtype/);
    expectUserError(() => decode(buildFile({ t: { shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4))), /unknown dtype undefined/);
  });

  it('bad shapes and offsets', () => {
    const entry = (shape: unknown, offsets: unknown): object => ({ t: { dtype: 'F32', shape, data_offsets: offsets } });
    const four = new Uint8Array(4);
    expectUserError(() => decode(buildFile(entry([-1], [0, 4]), four)), /shape \[-1\], expected an array of non-negative integers/);
    expectUserError(() => decode(buildFile(entry([1.5], [0, 4]), four)), /shape \[1.5\]/);
    expectUserError(() => decode(buildFile(entry('1', [0, 4]), four)), /shape "1"/);
    expectUserError(() => decode(buildFile(entry([1], [0]), four)), /data_offsets \[0\], expected \[begin, end\]/);
    expectUserError(() => decode(buildFile(entry([1], [0, -4]), four)), /data_offsets/);
    expectUserError(() => decode(buildFile(entry([1], [4, 0]), four)), /end before they begin/);
    expectUserError(() => decode(buildFile({ t: 5 }, four)), /tensor t is 5, expected \{dtype, shape, data_offsets\}/);
    expectUserError(() => decode(buildFile(entry([2 ** 40, 2 ** 40], [0, 4]), four)), /needs/);
  });

  it('shape that does not match the offsets', () => {
    const file = buildFile({ t: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, new Uint8Array(20));
    expectUserError(() => decode(file), /tensor t has 20 bytes of data but F32 shape \[2, 3\] needs 24/);
    const scalar = buildFile({ s: { dtype: 'F64', shape: [], data_offsets: [0, 4] } }, new Uint8Array(4));
    expectUserError(() => decode(scalar), /F64 shape \[\] needs 8/);
  });

  it('overlapping offsets', () => {
    const file = buildFile(
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      new Uint8Array(12),
    );
    expectUserError(() => decode(file), /tensor b \(bytes 4\.\.12\) overlaps tensor a \(bytes 0\.\.8\)/);
    const same = buildFile(
      { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } },
      new Uint8Array(4),
    );
    expectUserError(() => decode(same), /overlaps/);
  });

  it('gaps between tensors and data not starting at 0', () => {
    const gap = buildFile(
      { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } },
      new Uint8Array(12),
    );
    expectUserError(() => decode(gap), /data bytes 4\.\.8 belong to no tensor \(before tensor b\)/);
    const late = buildFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8));
    expectUserError(() => decode(late), /data bytes 0\.\.4 belong to no tensor/);
  });

  it('offsets past the end of the data', () => {
    const file = buildFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(12));
    expectUserError(() => decode(file), /data_offsets \[0, 16\] past the end of the data \(12 bytes\)/);
  });

  it('trailing garbage', () => {
    const withGarbage = new Uint8Array(valid.length + 3);
    withGarbage.set(valid);
    expectUserError(() => decode(withGarbage), /3 bytes after the last tensor belong to no tensor/);
    expectUserError(() => decode(buildFile('{}', new Uint8Array(1))), /1 bytes after the last tensor/);
  });
});

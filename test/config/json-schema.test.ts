import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.js';

describe('configs/schema.json', () => {
  it('is what the zod schema generates (run scripts/write-config-schema.ts after changing the schema)', () => {
    const committed = readFileSync(new URL('../../configs/schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(configJsonSchema());
  });

  it('rejects unknown keys and requires data.train, like the loader', () => {
    const schema = JSON.parse(configJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.data.required).toContain('train');
    expect(schema.properties.model.properties.activation.enum).toContain('hardtanh');
  });
});

import { describe, expect, it } from 'vitest';
import { parseCount, parseList } from '../src/cli/parse.js';
import { optionsFor, parseMixer } from '../src/suites/command.js';
import { validateOptions } from '../src/suites/options.js';
import { mapsSuite } from '../src/suites/maps.js';

describe('command-line options', () => {
  it('reads counts with binary and decimal units', () => {
    expect(parseCount('65536')).toBe(65536);
    expect(parseCount('64Ki')).toBe(65536);
    expect(parseCount('4Mi')).toBe(4 * 2 ** 20);
    expect(parseCount('10k')).toBe(10_000);
    expect(() => parseCount('lots')).toThrow();
  });

  it("reads mixer lists: 'lookup' or a positive count", () => {
    expect(parseList(parseMixer)('lookup,100,10,1')).toEqual(['lookup', 100, 10, 1]);
    expect(() => parseMixer('0')).toThrow();
  });

  it("lays the command line's values over the suite's defaults", () => {
    const o = optionsFor(mapsSuite, { quick: true, entries: [1024], reps: 2 }, 2);
    expect(o).toMatchObject({ quick: true, entries: [1024], repetitions: 2, cpus: [1, 2], valueSizes: [4], mixers: ['lookup', 100, 10, 1] });
    expect(optionsFor(mapsSuite, {}, 2)).toMatchObject({ quick: false, entries: [65536, 4 * 2 ** 20], valueSizes: [4, 50], repetitions: 5 });
  });

  it('refuses options that make no sense, naming them', () => {
    const o = optionsFor(mapsSuite, { quick: true }, 2);
    expect(() => validateOptions({ ...o, repetitions: 0 })).toThrow(/repetitions/);
    expect(() => validateOptions({ ...o, cpus: [] })).toThrow(/cpus/);
    expect(() => validateOptions({ ...o, entries: [8] })).toThrow(/entries/);
  });
});

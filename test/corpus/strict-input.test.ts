import { expect } from 'chai';
import { EJSON } from 'bson';
import { JsonSyntaxError, LineIndex, outlineJson } from '../../src/corpus/json-outline.js';
import { extendedJsonIssues } from '../../src/corpus/strict-extended-json.js';
import { decodeUtf8Strict, InvalidUtf8Error } from '../../src/corpus/utf8-text.js';

function thrown<E extends Error>(fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    return e as E;
  }
  throw new Error('expected a throw');
}

describe('strict input readers (seed)', () => {
  describe('decodeUtf8Strict', () => {
    it('decodes well-formed UTF-8, 4-byte sequences included, dropping a BOM', () => {
      expect(decodeUtf8Strict(Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80]))).to.equal('aé😀');
    });

    it('refuses each kind of ill-formed sequence at its first byte, with line and column', () => {
      const cases: [number[], number, string][] = [
        [[0x61, 0x0a, 0x62, 0xff], 3, 'ff'], // never valid
        [[0x61, 0x0a, 0x62, 0x80], 3, '80'], // stray continuation byte
        [[0x61, 0x0a, 0x62, 0xc0, 0xaf], 3, 'c0'], // overlong
        [[0x61, 0x0a, 0x62, 0xed, 0xa0, 0x80], 3, 'ed'], // encoded surrogate
        [[0x61, 0x0a, 0x62, 0xf4, 0x90, 0x80, 0x80], 3, 'f4'], // beyond U+10FFFF
        [[0x61, 0x0a, 0x62, 0xe2, 0x82], 3, 'e2 82'], // cut short at the end
      ];
      for (const [bytes, offset, shown] of cases) {
        const e = thrown<InvalidUtf8Error>(() => decodeUtf8Strict(Uint8Array.from(bytes)));
        expect(e, shown).to.be.instanceOf(InvalidUtf8Error);
        expect({ offset: e.offset, line: e.line, column: e.column, bytes: e.bytes }, shown).to.deep.equal({ offset, line: 2, column: 2, bytes: shown });
      }
    });

    it('counts columns in characters, not bytes', () => {
      const e = thrown<InvalidUtf8Error>(() => decodeUtf8Strict(Buffer.concat([Buffer.from('é😀x'), Buffer.from([0xfe])])));
      expect([e.line, e.column, e.offset]).to.deep.equal([1, 4, 7]);
    });
  });

  describe('outlineJson', () => {
    it('gives the span of each document of a top-level array or of each array member of an object', () => {
      const text = '{ "a": [ {"x": 1} , [2] ],\n "b": 3, "c": [] }';
      const outline = outlineJson(text);
      expect(outline.kind).to.equal('object');
      if (outline.kind !== 'object') return;
      expect(outline.members.map((m) => [m.key, m.offset, m.items?.map((s) => text.slice(s.start, s.end)) ?? null])).to.deep.equal([
        ['a', 2, ['{"x": 1}', '[2]']],
        ['b', 28, null],
        ['c', 36, []],
      ]);
      expect(outlineJson(' [1, "two" ,{}] ')).to.deep.equal({ kind: 'array', items: [{ start: 2, end: 3 }, { start: 5, end: 10 }, { start: 12, end: 14 }] });
    });

    it('accepts exactly what JSON.parse accepts', () => {
      const valid = ['0', '-0.5e+10', '"\\u00e9\\n\\/"', 'true', ' null ', '{"a":{"b":[false]}}', '"\\ud800"'];
      const invalid = ['01', '1.', '.5', '-', '1e', '+1', '[1,]', '{"a":1,}', "{'a':1}", '{"a" 1}', '"a\tb"', '"\\x"', '"\\u12"', 'tru', 'nul', '[1] [2]', '', '{"a":1', '"abc'];
      for (const t of valid) expect(() => outlineJson(t), t).to.not.throw();
      for (const t of valid) expect(() => JSON.parse(t), t).to.not.throw();
      for (const t of invalid) {
        expect(() => JSON.parse(t), t).to.throw(SyntaxError);
        expect(thrown(() => outlineJson(t)), t).to.be.instanceOf(JsonSyntaxError);
      }
    });

    it('points at the offending character', () => {
      const cases: [string, number, string][] = [
        ['[1, 2,]', 6, "expected a value, found ']'"],
        ['{"a": 1 "b": 2}', 8, "expected ',' or '}' after an object member, found '\"'"],
        ['{"a": 01}', 7, 'invalid number "01"'],
        ['{"a": "x\ny"}', 8, 'character U+000A inside a string must be escaped'],
        ['[1', 2, "expected ',' or ']' after an array element, found end of input"],
        ['{"a": "b', 6, 'unterminated string'],
      ];
      for (const [text, offset, reason] of cases) {
        const e = thrown<JsonSyntaxError>(() => outlineJson(text));
        expect([e.offset, e.reason], text).to.deep.equal([offset, reason]);
      }
    });

    it('LineIndex turns offsets into 1-based lines and columns', () => {
      const lines = new LineIndex('ab\n😀cd\n\nx');
      expect(lines.at(0)).to.deep.equal({ line: 1, column: 1 });
      expect(lines.at(2)).to.deep.equal({ line: 1, column: 3 });
      expect(lines.at(5)).to.deep.equal({ line: 2, column: 2 }); // after the surrogate pair
      expect(lines.at(8)).to.deep.equal({ line: 3, column: 1 });
      expect(lines.lineAt(9)).to.equal(4);
    });
  });

  describe('extendedJsonIssues', () => {
    const issues = (json: string) => extendedJsonIssues(JSON.parse(json)).map((i) => `${i.path}: ${i.reason}`);

    it('accepts the canonical and relaxed v2 forms, and they parse to what they say', () => {
      const doc = `{"_id": {"$oid": "5f1e2d3c4b5a69788796a5b4"}, "i": {"$numberInt": "-2147483648"}, "l": {"$numberLong": "9223372036854775807"},
        "d": {"$numberDouble": "-1.5E+300"}, "inf": {"$numberDouble": "-Infinity"}, "m": {"$numberDecimal": "1.000000000000000000000000000000001"},
        "b": {"$binary": {"base64": "AAEC/w==", "subType": "80"}}, "u": {"$uuid": "0b5f5a4e-7c1d-4a8e-9f00-000000000001"},
        "dates": [{"$date": "2021-03-04T10:20:30.123+02:00"}, {"$date": "2020-02-29T23:59:59.120000Z"}, {"$date": {"$numberLong": "-62135596800000"}}],
        "ts": {"$timestamp": {"t": 4294967295, "i": 0}}, "re": {"$regularExpression": {"pattern": "^a", "options": "im"}},
        "code": {"$code": "f()", "$scope": {"x": {"$numberInt": "1"}}}, "min": {"$minKey": 1}, "ref": {"$ref": "c", "$id": {"$oid": "5f1e2d3c4b5a69788796a5b4"}, "$db": "d", "extra": 1},
        "plain": {"nested": [1, "x", null, {"k": true}]}}`;
      expect(issues(doc)).to.deep.equal([]);
      const parsed = EJSON.parse(doc, { relaxed: false });
      expect(parsed.dates.map((d: Date) => d.getTime())).to.deep.equal([Date.UTC(2021, 2, 4, 8, 20, 30, 123), Date.UTC(2020, 1, 29, 23, 59, 59, 120), -62135596800000]);
      expect(parsed.l.toString()).to.equal('9223372036854775807');
    });

    it('refuses what bson would coerce, drop or misread, with the JSON path', () => {
      const cases: [string, string][] = [
        ['{"a": {"$date": "not-a-date"}}', '$.a: $date "not-a-date" is not an ISO-8601 date-time'],
        ['{"a": {"$date": "2021-02-29T00:00:00Z"}}', '$.a: $date "2021-02-29T00:00:00Z" is not a calendar date'],
        ['{"a": {"$date": "2021-01-01T24:00:00Z"}}', '$.a: $date "2021-01-01T24:00:00Z" is not a time of day'],
        ['{"a": {"$date": "2021-01-01T23:59:60Z"}}', '$.a: $date "2021-01-01T23:59:60Z": second 60 (a leap second)'],
        ['{"a": {"$date": "2021-01-01 00:00:00Z"}}', '$.a: $date "2021-01-01 00:00:00Z" is not an ISO-8601 date-time'],
        ['{"a": {"$date": "2021-01-01T00:00:00+24:00"}}', '$.a: $date "2021-01-01T00:00:00+24:00" has an invalid UTC offset'],
        ['{"a": {"$date": {"$numberLong": "8640000000000001"}}}', '$.a: $date {"$numberLong":"8640000000000001"} is beyond the range of a date'],
        ['{"a": {"$date": {"$numberLong": "1.5"}}}', '$.a: $date $numberLong "1.5" is not an integer string'],
        ['{"a": {"$date": 5}}', '$.a: $date 5 is a plain number (Extended JSON v1)'],
        ['{"a": [{"$oid": "5F1E2D3C4B5A69788796A5B"}]}', '$.a[0]: $oid "5F1E2D3C4B5A69788796A5B" is not 24 hexadecimal digits'],
        ['{"a": {"$oid": null}}', '$.a: $oid null is not 24 hexadecimal digits'],
        ['{"a": {"$numberInt": "2147483648"}}', '$.a: $numberInt "2147483648" is out of the 32-bit integer range'],
        ['{"a": {"$numberInt": 5}}', '$.a: $numberInt 5 is not an integer string'],
        ['{"a": {"$numberLong": "9223372036854775808"}}', '$.a: $numberLong "9223372036854775808" is out of the 64-bit integer range'],
        ['{"a": {"$numberLong": "+5"}}', '$.a: $numberLong "+5" is not an integer string'],
        ['{"a": {"$numberDouble": "1.5abc"}}', '$.a: $numberDouble "1.5abc" is not a number string'],
        ['{"a": {"$numberDouble": "0.1000000000000000000001"}}', '$.a: $numberDouble: number 0.1000000000000000000001 would change to 0.1'],
        ['{"a": {"$numberDecimal": "1.2345678901234567890123456789012345"}}', '$.a: $numberDecimal "1.2345678901234567890123456789012345" is not a valid decimal'],
        ['{"a": {"$binary": {"base64": "AQ", "subType": "00"}}}', '$.a: $binary base64 "AQ" is not canonical base64'],
        ['{"a": {"$binary": {"base64": "AR==", "subType": "00"}}}', '$.a: $binary base64 "AR==" is not canonical base64'],
        ['{"a": {"$binary": {"base64": "AQ==", "subType": "04"}}}', '$.a: $binary of subType 04 (UUID) must hold 16 bytes'],
        ['{"a": {"$binary": {"base64": "AQ==", "subType": "100"}}}', '$.a: $binary subType "100" is not 1 or 2 hexadecimal digits'],
        ['{"a": {"$binary": "AQ==", "$type": "00"}}', '$.a: $binary must be the only key of its object (also found $type)'],
        ['{"a": {"$binary": "AQ=="}}', '$.a: $binary as a string (with $type) is Extended JSON v1'],
        ['{"a": {"$uuid": "0b5f5a4e7c1d4a8e9f00000000000001"}}', '$.a: $uuid "0b5f5a4e7c1d4a8e9f00000000000001" is not a hyphenated UUID'],
        ['{"a": {"$timestamp": {"t": -1, "i": 0}}}', '$.a: $timestamp {"t":-1,"i":0} must be {"t": <uint32>, "i": <uint32>}'],
        ['{"a": {"$regularExpression": {"pattern": "a", "options": "ii"}}}', '$.a: $regularExpression options "ii" must be distinct letters of ilmsux'],
        ['{"a": {"$regex": "a", "$options": "i"}}', '$.a: $regex is Extended JSON v1'],
        ['{"a": {"$code": "f()", "$scope": {"x": {"$numberInt": "x"}}}}', '$.a.$scope.x: $numberInt "x" is not an integer string'],
        ['{"a": {"$minKey": true}}', '$.a: $minKey must be 1, got true'],
        ['{"a": {"$undefined": true}}', '$.a: $undefined (deprecated BSON undefined) would be stored as null'],
        ['{"a": {"$dbPointer": {"$ref": "c", "$id": {"$oid": "5f1e2d3c4b5a69788796a5b4"}}}}', '$.a: $dbPointer (deprecated) would be stored as a DBRef'],
        ['{"a": {"$ref": "c"}}', '$.a: a DBRef needs "$ref" (string) and "$id"'],
        ['{"a": {"$ref": "c", "$id": {"$oid": "zz"}}}', '$.a.$id: $oid "zz" is not 24 hexadecimal digits'],
        ['{"a": {"$oid": "5f1e2d3c4b5a69788796a5b4", "name": "x"}}', '$.a: $oid must be the only key of its object (also found name): the rest would be dropped'],
        ['{"odd key": {"$numberlong": "1"}}', '$["odd key"]: $numberlong is not an Extended JSON type (misspelled?)'],
      ];
      for (const [json, expected] of cases) {
        const found = issues(json);
        expect(found, json).to.have.length(1);
        expect(found[0], json).to.satisfy((s: string) => s.startsWith(expected));
      }
    });

    it('reports every problem of a document, not only the first', () => {
      expect(issues('{"a": {"$oid": "x"}, "b": [{"$date": "y"}], "c": {"d": {"$numberInt": "1.5"}}}').map((s) => s.split(':')[0])).to.deep.equal(['$.a', '$.b[0]', '$.c.d']);
    });
  });
});

// Writes corpus.json: tricky webhook bodies and the bytes Heap's reference verifier signs for each,
// JSON.stringify(JSON.parse(body)) after express's body reader (UTF-8 decoded, a byte order mark
// dropped), or null where JSON.parse throws. Run once with Node: node relay/testdata/jsreserialise/gen.mjs
import { writeFileSync } from 'node:fs';

const text = (s) => Buffer.from(s, 'utf8');
const hex = (h) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const cat = (...parts) => Buffer.concat(parts);

const bodies = [
  text('{"action_type": "segment.users.sync", "data": {"add": [{"id": "a@x.io"}]}}'),
  text('{\n  "a" : [ 1 , 2 ] ,\r\n\t"b" : { }\n}'),
  text('{"s":"\\u00e9\\u00E9\\/\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001F\\u007f\\u2028\\u2029"}'),
  text('{"lone":"\\ud800","low":"\\uDC00","pair":"\\uD83D\\uDE00","swapped":"\\udc00\\ud800","end":"x\\ud83d"}'),
  text('{"s":"\\ud83d😀"}'),
  text('{"n":[1.0,1e2,1E+2,-0,-0.0,0e5,1e400,-1e400,1e-400,123456789012345678901234567890,0.1,1e21,1e-7,123e-20,5e-324,1.7976931348623157e308,9007199254740993,0.000001,2.5e-6]}'),
  text('{"a":1,"b":2,"a":3}'),
  text('{"a":{"x":1},"a":[2],"c":null,"a":"last"}'),
  text('{"b":1,"2":2,"1":3,"a":4,"10":5,"01":6,"-1":7,"4294967294":8,"4294967295":9,"1.5":10,"0":11}'),
  text('{"__proto__":{"x":1},"constructor":2}'),
  text('{"k":"\\u0041","\\u0041":1,"A":2}'),
  text('[true,false,null,"",[],{}]'),
  text('"just a string"'),
  text('  42  '),
  cat(hex('efbbbf'), text('{"bom":true}')),
  cat(text('{"bad":"'), hex('ff c0 80 e2 82 ed a0 80 f0 9f 98 f4 90 80 80 e0 9f bf'), text('ok"}')),
  cat(text('{"fine":"'), hex('c3 a9 e2 82 ac f0 9f 98 80'), text('"}')),
  text('{"a":1,}'),
  text('[1,]'),
  text('{"a":01}'),
  text('{"a":1.}'),
  text('{"a":"\u0001"}'),
  text('{"a":"\\x"}'),
  text('{"a":"\\u12"}'),
  text('{"a":1} x'),
  text('not json'),
  text(''),
  text('{"a":NaN}'),
  text('{"a":tru}'),
  text('[' + '['.repeat(50) + ']'.repeat(50) + ']'),
  text('{' + Array.from({ length: 40 }, (_, i) => `"k${i % 25}":${i}`).join(',') + ',"7":"seven"}'),
];

const corpus = bodies.map((body) => {
  let want = null;
  try {
    let s = body.toString('utf8');
    if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    want = Buffer.from(JSON.stringify(JSON.parse(s)), 'utf8').toString('base64');
  } catch {}
  return { reads: body.toString('utf8'), body: body.toString('base64'), want };
});
writeFileSync(new URL('corpus.json', import.meta.url), JSON.stringify(corpus, null, 1) + '\n');
console.log(`${corpus.length} bodies, node ${process.version}`);

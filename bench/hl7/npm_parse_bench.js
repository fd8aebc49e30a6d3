'use strict';
// npm_parse_bench.js - npm HL7 v2 parsers on the corpus our C parse benchmark wrote, same run.
//
//   bench_hl7_parse --write-corpus corpus.hl7 ...      (bench/hl7/bench_hl7_parse.c)
//   NODE_PATH=$(scripts/npm-setup --print-path) node bench/hl7/npm_parse_bench.js corpus.hl7 [PASSES]
//
// Same work as the C benchmark: parse each message and read one value, the first OBX-5 (its
// first component, which every library can name the same way).
// The corpus is MLLP-framed; messages are turned into JS strings once, before timing (the
// libraries take strings; our parser takes the bytes as they are). Best of PASSES (default 5)
// passes, like the C side. Each parser's OBX-5 values are compared with a plain split of the
// message, so a parser that reads the wrong thing is reported instead of timed.
// Prints, per parser:  "npm NAME@VERSION: N messages, B bytes, X messages/s, Y MB/s"

const fs = require('fs');
const path = require('path');

// The version of the installed package: the nearest package.json up from its entry point that
// names it (some packages hide package.json behind "exports", or ship nested ones).
function version(name) {
  try {
    let dir = path.dirname(require.resolve(name));
    for (;;) {
      const f = path.join(dir, 'package.json');
      if (fs.existsSync(f)) {
        const pkg = JSON.parse(fs.readFileSync(f, 'utf8'));
        if (pkg.name === name) return pkg.version;
      }
      const up = path.dirname(dir);
      if (up === dir) return '?';
      dir = up;
    }
  } catch (err) {
    return '?';
  }
}

function readCorpus(file) {
  const buf = fs.readFileSync(file);
  const msgs = [];
  let bytes = 0;
  let i = 0;
  for (;;) {
    const s = buf.indexOf(0x0b, i);
    if (s < 0) break;
    const e = buf.indexOf(0x1c, s);
    if (e < 0) break;
    msgs.push(buf.subarray(s + 1, e).toString('utf8'));
    bytes += e - s - 1;
    i = e + 1;
  }
  return { msgs, bytes };
}

// The first component of the first OBX-5, by plain splitting: the reference the parsers are
// checked against (the corpus has no escapes in OBX-5).
function firstObx5(text) {
  for (const seg of text.split(/\r\n|\r|\n/)) {
    if (seg.startsWith('OBX|')) return (seg.split('|')[5] || '').split('^')[0];
  }
  return '';
}

// name -> function(text) returning OBX-5.1 of the first OBX as the library gives it.
function parsers() {
  const list = [];
  const add = (name, make) => {
    try {
      list.push({ name, version: version(name), read: make(require(name)) });
    } catch (err) {
      console.log(`npm ${name}: not available (${err.message})`);
    }
  };
  const str = (v) => (v === undefined || v === null ? '' : String(v));
  add('@medplum/core', (m) => (t) => {
    const obx = m.Hl7Message.parse(t).getSegment('OBX');
    return obx ? obx.getComponent(5, 1) : '';
  });
  add('node-hl7-client', (m) => (t) => {
    const msg = new m.Message({ text: t });
    try {
      return msg.get('OBX.5.1').toString();
    } catch (err) {
      return ''; // no OBX in this message
    }
  });
  add('simple-hl7', (m) => {
    const p = new m.Parser();
    return (t) => {
      const obx = p.parse(t).getSegment('OBX');
      return obx ? str(obx.getComponent(5, 1)) : '';
    };
  });
  add('hl7-standard', (M) => (t) => {
    const h = new M(t);
    h.transform();
    const v = h.get('OBX.5');
    return typeof v === 'object' && v !== null ? str(v['OBX.5.1']) : str(v);
  });
  add('tiny-hl7', (m) => (t) => {
    const obx = m.parse(t).find((s) => 'OBX.1' in s);
    return obx ? str('OBX.5' in obx ? obx['OBX.5'] : obx['OBX.5.1']) : '';
  });
  return list;
}

function main() {
  const file = process.argv[2];
  const passes = +(process.argv[3] || 5);
  if (!file) {
    console.error('usage: node npm_parse_bench.js CORPUS [PASSES]');
    process.exit(2);
  }
  const { msgs, bytes } = readCorpus(file);
  if (msgs.length === 0) {
    console.error(`npm_parse_bench: no MLLP frames in ${file}`);
    process.exit(2);
  }
  const want = msgs.map(firstObx5);
  let failed = 0;
  for (const p of parsers()) {
    let bad = 0;
    let firstBad = '';
    try {
      msgs.forEach((t, i) => {
        const got = p.read(t);
        if (got !== want[i] && bad++ === 0) {
          firstBad = `message ${i + 1}: OBX-5 ${JSON.stringify(got)}, expected ${JSON.stringify(want[i])}`;
        }
      });
    } catch (err) {
      bad = -1;
      firstBad = err.message;
    }
    if (bad !== 0) {
      console.log(`npm ${p.name}@${p.version}: not timed: ${bad < 0 ? 'throws' : bad + ' wrong values'}: ${firstBad}`);
      failed += 1;
      continue;
    }
    let best = Infinity;
    let sink = 0;
    for (let k = 0; k < passes; k++) {
      const t0 = process.hrtime.bigint();
      for (const t of msgs) sink += p.read(t).length;
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (s < best) best = s;
    }
    console.log(`npm ${p.name}@${p.version}: ${msgs.length} messages, ${bytes} bytes, ` +
      `${(msgs.length / best).toFixed(0)} messages/s, ${(bytes / best / 1e6).toFixed(1)} MB/s ` +
      `(best of ${passes}; checksum ${sink})`);
  }
  process.exit(failed === 0 ? 0 : 1);
}

main();

'use strict';
// interop.js - the third-party side of tests/integration/test_hl7_interop.sh.
//
// Libraries (pinned in package-lock.json, installed by scripts/npm-setup, found via NODE_PATH):
//   @medplum/hl7 + @medplum/core  parser, builder, MLLP client and server (the main peer)
//   node-hl7-client               a second parser that decodes escape sequences
//   simple-hl7                    the most downloaded npm HL7 package: its MLLP client
//
//   node interop.js check MESSAGES EXPECT     parse messages we built; compare with EXPECT
//   node interop.js build MESSAGES EXPECT     build messages with medplum and simple-hl7
//   node interop.js client PORT MESSAGES      medplum's MLLP client sends each message, waits
//                                             for our ACK, checks it
//   node interop.js simple-client PORT MESSAGES   the same with simple-hl7's client
//   node interop.js server PORT_FILE COUNT    medplum's MLLP server; ACKs COUNT messages, exits
//
// EXPECT lines: "MESSAGE<TAB>PATH<TAB>JSON value" (null = the explicit null ""). PATH is
// SEG[occurrence]-FIELD(repetition).COMPONENT.SUBCOMPONENT, all 1-based, optional parts default
// to 1 ("PID-5(2).1", "OBX[3]-5", "PID-3(1).4.2"); without a component the whole field.
// Each failed check prints a line starting with "FAIL: "; the exit status is 1 when any failed.

const fs = require('fs');
const net = require('net');
const { Hl7Message, Hl7Segment } = require('@medplum/core');
const { Hl7Client, Hl7Connection } = require('@medplum/hl7');
const nhc = require('node-hl7-client');
const simple = require('simple-hl7');

const VT = 0x0b;
const FS = 0x1c;
let nFail = 0;
let nPass = 0;

function fail(text) {
  nFail += 1;
  console.log('FAIL: ' + text);
}

function check(cond, text) {
  if (cond) {
    nPass += 1;
  } else {
    fail(text);
  }
}

function finish(what) {
  console.log(`${what}: ${nPass} checks passed, ${nFail} failed`);
  process.exit(nFail === 0 ? 0 : 1);
}

// Messages of a file: MLLP frames, else blank-line separated; segments joined with CR.
function splitMessages(buf) {
  const out = [];
  if (buf.includes(VT)) {
    let i = 0;
    for (;;) {
      const s = buf.indexOf(VT, i);
      if (s < 0) break;
      const e = buf.indexOf(FS, s);
      if (e < 0) break;
      out.push(buf.subarray(s + 1, e).toString('utf8'));
      i = e + 1;
    }
    return out;
  }
  let cur = [];
  for (const line of buf.toString('utf8').split(/\r\n|\r|\n/)) {
    if (line.trim() === '') {
      if (cur.length) out.push(cur.join('\r'));
      cur = [];
    } else {
      cur.push(line);
    }
  }
  if (cur.length) out.push(cur.join('\r'));
  return out;
}

function parsePath(path) {
  const m = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?-(\d+)(?:\((\d+)\))?(?:\.(\d+)(?:\.(\d+))?)?$/.exec(path);
  if (!m) throw new Error('bad path ' + path);
  return {
    seg: m[1], occ: +(m[2] || 1), field: +m[3], rep: +(m[4] || 1),
    comp: m[5] ? +m[5] : 0, sub: m[6] ? +m[6] : 0,
  };
}

function readExpect(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [msg, path, value] = l.split('\t');
    return { msg: +msg, path, value: JSON.parse(value) };
  });
}

// node-hl7-client: decodes escapes. Path strings are 1-based, .get(n) on a node is 0-based.
function nhcValue(msg, p) {
  let field;
  if (p.occ === 1) {
    field = msg.get(`${p.seg}.${p.field}`);
  } else {
    field = msg.get(p.seg).get(p.occ - 1).get(p.field);
  }
  if (p.comp === 0) return field.toString();
  let node = field.get(p.rep - 1).get(p.comp - 1);
  if (p.sub > 0) node = node.get(p.sub - 1);
  return node.toString();
}

// medplum: raw (escape sequences are not decoded), so only values without delimiters, escape
// characters or control bytes are compared with it.
function medplumValue(msg, p) {
  const seg = msg.getAllSegments(p.seg)[p.occ - 1];
  if (p.comp === 0) return seg.getField(p.field).toString();
  return seg.getComponent(p.field, p.comp, p.sub > 0 ? p.sub - 1 : undefined, p.rep - 1);
}

function cmdCheck(file, expectFile) {
  const texts = splitMessages(fs.readFileSync(file));
  const expect = readExpect(expectFile);
  const maxMsg = Math.max(...expect.map((e) => e.msg));
  check(texts.length === maxMsg, `expected ${maxMsg} messages, found ${texts.length}`);
  const parsedN = texts.map((t) => new nhc.Message({ text: t }));
  const parsedM = texts.map((t) => Hl7Message.parse(t));
  for (const e of expect) {
    const p = parsePath(e.path);
    const want = e.value === null ? '""' : e.value; // the explicit null arrives as the text ""
    let got;
    try {
      got = nhcValue(parsedN[e.msg - 1], p);
    } catch (err) {
      got = `<${err.message}>`;
    }
    check(got === want, `node-hl7-client, message ${e.msg} ${e.path}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    if (!/[|^~\\&\r\n]/.test(want)) {
      try {
        got = medplumValue(parsedM[e.msg - 1], p);
      } catch (err) {
        got = `<${err.message}>`;
      }
      check(got === want, `medplum, message ${e.msg} ${e.path}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
  }
  finish('check');
}

// ---- build: messages made by the npm libraries ------------------------------------------------

// medplum builds from field texts; it does not escape, so values that need escaping are given
// escaped, and EXPECT holds what they mean.
function cmdBuild(file, expectFile) {
  const lines = [];
  const msgs = [];
  const seg = (fields) => new Hl7Segment(fields);
  const m1 = new Hl7Message([
    seg(['MSH', '^~\\&', 'MEDPLUM', 'NODE', 'OI', 'OI', '20260103101500+0100', '',
      'ORU^R01^ORU_R01', 'MP-1', 'P', '2.6', '', '', 'AL', 'NE']),
    seg(['PID', '1', '', 'P-9^^^HOSP&1.2.840&ISO~P-10^^^OTHER', '', 'Fischer^Anna^Maria', '', '19750505']),
    seg(['OBR', '1', 'ORD-1', '', '182777000^monitoring of patient^SNOMED-CT']),
    seg(['OBX', '1', 'NM', '150456^MDC_PULS_OXIM_SAT_O2^MDC', '1.0.1.1', '98', '262688^MDC_DIM_PERCENT^MDC']),
    seg(['OBX', '2', 'ST', '0^NOTE', '', 'pump A \\T\\ pump B\\S\\line \\F\\ 2 \\R\\ 3 \\E\\ end']),
    seg(['NTE', '1', '', '""']),
  ]);
  msgs.push(m1.toString());
  const e1 = {
    'MSH-3': 'MEDPLUM', 'MSH-9.1': 'ORU', 'MSH-9.2': 'R01', 'MSH-10': 'MP-1', 'MSH-15': 'AL',
    'PID-3(1).1': 'P-9', 'PID-3(1).4.1': 'HOSP', 'PID-3(1).4.2': '1.2.840', 'PID-3(1).4.3': 'ISO',
    'PID-3(2).1': 'P-10', 'PID-3(2).4.1': 'OTHER', 'PID-5.1': 'Fischer', 'PID-5.2': 'Anna',
    'PID-5.3': 'Maria', 'PID-7': '19750505', 'OBX[1]-3.2': 'MDC_PULS_OXIM_SAT_O2', 'OBX[1]-5': '98',
    'OBX[1]-6.1': '262688', 'OBX[2]-5': 'pump A & pump B^line | 2 ~ 3 \\ end', 'NTE-3': null,
  };
  for (const [k, v] of Object.entries(e1)) lines.push(`1\t${k}\t${JSON.stringify(v)}`);

  // medplum's ACK builder (an original-mode reply to m1's sender)
  const ack = m1.buildAck();
  msgs.push(ack.toString());
  for (const [k, v] of Object.entries({ 'MSA-1': 'AA', 'MSA-2': 'MP-1', 'MSH-3': 'OI', 'MSH-5': 'MEDPLUM' })) {
    lines.push(`2\t${k}\t${JSON.stringify(v)}`);
  }

  // simple-hl7's builder: header fields + segments
  const m3 = new simple.Message('SIMPLE', 'NODE', 'OI', 'OI', '20260104', '', ['ADT', 'A08'], 'SH-3', 'P', '2.5');
  m3.addSegment('PID', '1', '', ['S-1', '', '', 'HOSP'], '', ['Kowalski', 'Jan']);
  m3.addSegment('PV1', '1', 'O');
  msgs.push(m3.toString());
  const e3 = {
    'MSH-3': 'SIMPLE', 'MSH-9.1': 'ADT', 'MSH-9.2': 'A08', 'MSH-10': 'SH-3', 'MSH-12': '2.5',
    'PID-3.1': 'S-1', 'PID-3.4': 'HOSP', 'PID-5.1': 'Kowalski', 'PID-5.2': 'Jan', 'PV1-2': 'O',
  };
  for (const [k, v] of Object.entries(e3)) lines.push(`3\t${k}\t${JSON.stringify(v)}`);

  fs.writeFileSync(file, msgs.map((t) => t.replace(/\r?$/, '\r')).join('\n\n'));
  fs.writeFileSync(expectFile, lines.join('\n') + '\n');
  console.log(`built ${msgs.length} messages, ${lines.length} expected values`);
}

// ---- MLLP ---------------------------------------------------------------------------------------

function ackOk(ack, msg) {
  const code = ack.getSegment('MSA') ? ack.getSegment('MSA').getField(1).toString() : '';
  const ctrl = ack.getSegment('MSA') ? ack.getSegment('MSA').getField(2).toString() : '';
  const want = msg.header.getField(10).toString();
  console.log(`ACK ${code} ${ctrl} for ${want}`);
  check(code === 'AA' || code === 'CA', `ACK code ${code} for ${want}`);
  check(ctrl === want, `MSA-2 ${ctrl} for ${want}`);
}

async function cmdClient(port, file) {
  const client = new Hl7Client({ host: '127.0.0.1', port: +port, connectTimeout: 10000 });
  try {
    for (const text of splitMessages(fs.readFileSync(file))) {
      const msg = Hl7Message.parse(text);
      const ack = await client.sendAndWait(msg, { timeoutMs: 10000 });
      ackOk(ack, msg);
    }
  } catch (err) {
    fail(`medplum client: ${err.message}`);
  }
  await client.close();
  finish('medplum client');
}

function cmdSimpleClient(port, file) {
  const texts = splitMessages(fs.readFileSync(file));
  const parser = new simple.Parser();
  let i = 0;
  const timer = setTimeout(() => { fail('simple-hl7 client: no ACK within 10 s'); finish('simple-hl7 client'); }, 10000);
  const next = () => {
    if (i >= texts.length) {
      clearTimeout(timer);
      finish('simple-hl7 client');
      return;
    }
    const msg = parser.parse(texts[i]);
    const want = msg.header.getField(8).toString(); // simple-hl7 counts MSH fields from MSH-3
    const client = simple.Server.createTcpClient('127.0.0.1', +port);
    client.send(msg, (err, ack) => {
      if (err) {
        fail(`simple-hl7 client: ${err.message}`);
      } else {
        const msa = ack.getSegment('MSA');
        const code = msa.getField(1).toString();
        const ctrl = msa.getField(2).toString();
        console.log(`ACK ${code} ${ctrl} for ${want}`);
        check(code === 'AA' || code === 'CA', `simple-hl7: ACK code ${code} for ${want}`);
        check(ctrl === want, `simple-hl7: MSA-2 ${ctrl} for ${want}`);
      }
      i += 1;
      next();
    });
  };
  next();
}

// medplum's Hl7Server listens on every interface; tests listen on 127.0.0.1 only, so the socket
// is ours and each connection is medplum's Hl7Connection (its MLLP framing and parsing).
function cmdServer(portFile, count) {
  let n = 0;
  const server = net.createServer((socket) => {
    const connection = new Hl7Connection(socket);
    connection.addEventListener('message', ({ message }) => {
      const segs = message.segments.map((s) => s.name).join(' ');
      console.log(`RECEIVED ${message.header.getField(9).toString()} ${message.header.getField(10).toString()} ${segs}`);
      connection.send(message.buildAck());
      n += 1;
      if (n >= +count) {
        setTimeout(() => process.exit(0), 300);
      }
    });
    connection.addEventListener('error', ({ error }) => console.log(`connection error: ${error.message}`));
  });
  server.listen(0, '127.0.0.1', () => {
    fs.writeFileSync(portFile + '.tmp', String(server.address().port));
    fs.renameSync(portFile + '.tmp', portFile);
  });
  setTimeout(() => { console.log('FAIL: server: timed out'); process.exit(1); }, 30000).unref();
  process.on('SIGTERM', () => process.exit(n >= +count ? 0 : 1));
}

const [cmd, a, b] = process.argv.slice(2);
switch (cmd) {
  case 'check': cmdCheck(a, b); break;
  case 'build': cmdBuild(a, b); break;
  case 'client': cmdClient(a, b); break;
  case 'simple-client': cmdSimpleClient(a, b); break;
  case 'server': cmdServer(a, b); break;
  default:
    console.error('usage: node interop.js check|build|client|simple-client|server ...');
    process.exit(2);
}

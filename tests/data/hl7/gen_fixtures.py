#!/usr/bin/env python3
"""gen_fixtures.py - writes tests/data/hl7/parse/*.hl7 and their .expect files.

The fixtures need exact bytes (CR vs CRLF vs LF, binary bytes, no final terminator), which is
easier to get right in a script than in an editor. The expectations are written here by hand;
error offsets are computed with bytes.index() on the fixture itself, independently of the C
parser. Run it again after editing; the test (tests/unit/hl7/test_hl7_fixtures.c) reads both.

.expect format, one check per line ('#' starts a comment):
  status ok | status NAME segment S field F offset O     (NAME = hl7_status without HL7_ERR_)
  segments N                       number of segments
  ids MSH PID ...                  the segment ids in order
  fields SEG(occ) N                hl7_field_count of that segment occurrence
  PATH = text                      the unescaped value at PATH (hl7_get_path syntax)
  PATH raw text                    the raw value
  PATH hex 0D0A                    the unescaped value, as hex bytes
  PATH null                        the value is the explicit null ""
  PATH empty                       the value is empty (not sent)
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "parse")

MSH = b"MSH|^~\\&|SND|FAC|RCV|RFAC|20260101120000+0000||ORU^R01^ORU_R01|MSG0001|P|2.6|||AL|NE||UNICODE UTF-8"
PID = b'PID|||12345^^^HOSP^MR~67890^^^OTHER^PI||Hon^Albert^""^^^^L||19610101|M'
OBR = b"OBR|1|AB12345^PCD-03|CD12345^HL7^ACDE48234567ABCD^EUI-64|999999^Medication Unknown|||20260101115900+0000"
OBX = b"OBX|1|NM|157784^MDC_FLOW_FLUID_PUMP^MDC|1.1.1.1|15.4|265266^MDC_DIM_MILLI_L_PER_HR^MDC|||||R"

BASE_SEGS = [MSH, PID, OBR, OBX]
BASE_EXPECT = """segments 4
ids MSH PID OBR OBX
MSH-1 raw |
MSH-2 raw ^~\\&
MSH-3 = SND
MSH-7 = 20260101120000+0000
MSH-9 raw ORU^R01^ORU_R01
MSH-9.2 = R01
MSH-10 = MSG0001
MSH-12 = 2.6
MSH-15 = AL
MSH-18 = UNICODE UTF-8
fields MSH 18
PID-3(1).1 = 12345
PID-3(2).1 = 67890
PID-3(2).5 = PI
PID-5.1 = Hon
PID-5.3 null
PID-5.4 empty
PID-5.7 = L
PID-6 empty
PID-8 = M
PID-9 empty
fields PID 8
OBR-4.2 = Medication Unknown
OBX-5 = 15.4
OBX-6.1 = 265266
OBX-11 = R
"""

files = {}


def put(name, data, expect):
    files[name] = (data, expect)


def msg(term, segs=None, final=True):
    segs = BASE_SEGS if segs is None else segs
    out = term.join(segs)
    return out + term if final else out


def err(data, name, needle, segment, field, delta=0):
    return "status %s segment %d field %d offset %d\n" % (name, segment, field,
                                                          data.index(needle) + delta)


# ---- terminators ------------------------------------------------------------------------------
put("term_cr", msg(b"\r"), "status ok\n" + BASE_EXPECT)
put("term_crlf", msg(b"\r\n"), "status ok\n" + BASE_EXPECT)
put("term_lf", msg(b"\n"), "status ok\n" + BASE_EXPECT)
put("term_none_final", msg(b"\r", final=False), "status ok\n" + BASE_EXPECT)
put("term_crlf_none_final", msg(b"\r\n", final=False), "status ok\n" + BASE_EXPECT)
put("term_mixed", MSH + b"\r" + PID + b"\n" + OBR + b"\r\n" + OBX, "status ok\n" + BASE_EXPECT)
put("term_empty_lines", b"\r\n" + MSH + b"\r\r" + PID + b"\n\n" + OBR + b"\r\n\r\n" + OBX + b"\r\n\r\n",
    "status ok\n" + BASE_EXPECT)

# ---- MSH-1 / MSH-2 ----------------------------------------------------------------------------
d = (b"MSH|^~\\&#|SND|FAC|||20260101120000+0000||ACK^R01^ACK|C1|P|2.7\r"
     b"NTE|1||Dose \\P\\1 of 2 \\E\\ done|x#y\r")
put("msh2_five_chars", d, """status ok
MSH-2 raw ^~\\&#
MSH-3 = SND
MSH-9.2 = R01
MSH-10 = C1
NTE-3 = Dose #1 of 2 \\ done
NTE-4 = x#y
NTE-4 raw x#y
""")
d = (b"MSH!@?/+!SND@X!FAC!!!20260101120000+0000!!ORU@R01@ORU_R01!C2!P!2.6\r"
     b"PID!!!1@@@A+B@MR?2@@@C@PI!!Doe@John/S/Jr!\r")
put("custom_delimiters", d, """status ok
MSH-1 raw !
MSH-2 raw @?/+
MSH-3.1 = SND
MSH-3.2 = X
MSH-9.3 = ORU_R01
MSH-10 = C2
PID-3(1).1 = 1
PID-3(1).4.1 = A
PID-3(1).4.2 = B
PID-3(2).5 = PI
PID-5.2 = John@Jr
PID-6 empty
fields PID 6
""")
put("msh2_caret_only", b"MSH|^|||||||^A|||2.2\rAA", "status ENCODING segment 1 field 2 offset 4\n")
put("msh2_digits", b"MSH|0000|SND|FAC\rPID|1\r", "status ENCODING segment 1 field 2 offset 4\n")
put("msh2_duplicate", b"MSH|^^\\&|SND|FAC\rPID|1\r", "status ENCODING segment 1 field 2 offset 4\n")
put("msh2_six_chars", b"MSH|^~\\&#!|SND\r", "status ENCODING segment 1 field 2 offset 4\n")
put("msh2_quote", b'MSH|^~\\&"|SND\r', "status ENCODING segment 1 field 2 offset 4\n")
put("msh1_letter", b"MSHA^~\\&ASND\r", "status ENCODING segment 1 field 1 offset 3\n")
put("msh_only", b"MSH|^~\\&", "status ok\nsegments 1\nMSH-2 raw ^~\\&\nMSH-3 empty\nfields MSH 2\n")
put("no_msh", b"PID|||1\rMSH|^~\\&|A\r", "status NO_MSH segment 1 field 0 offset 0\n")
put("empty", b"\r\n\r\n", "status EMPTY segment 0 field 0 offset 4\n")

# ---- segments ------------------------------------------------------------------------------------
d = MSH + b"\r" + PID + b"\r" + b"OBX|1|ST|68483^MDC_ATTR_ALARM_INACTIV\rATION_STATE|1.0.0.0.5|enabled\r"
put("hard_wrapped_asprinted", d, err(d, "SEGMENT_ID", b"ATION_STATE", 4, 0))
d = MSH + b"\r" + b"pid|||1\r"
put("segment_id_lowercase", d, err(d, "SEGMENT_ID", b"pid", 2, 0))
d = MSH + b"\r" + b"PI|||1\r"
put("segment_id_short", d, err(d, "SEGMENT_ID", b"PI|", 2, 0))
d = MSH + b"\r" + b"1ID|||1\r"
put("segment_id_digit_first", d, err(d, "SEGMENT_ID", b"1ID", 2, 0))
d = MSH + b"\r" + PID + b"\r" + MSH + b"\r"
put("second_msh", d, err(d, "SECOND_MSH", b"MSH", 3, 0, delta=len(MSH) + 1 + len(PID) + 1))
d = MSH + b"\rPV1\rZPI|1|custom^value|||x\rOBX|1||69985^MDC_DEV_PUMP_INFUS_MDS^MDC||||||||X||||||||||extra|beyond\r"
put("zsegment_and_bare_id", d, """status ok
ids MSH PV1 ZPI OBX
fields PV1 0
PV1-1 empty
ZPI-2.2 = value
ZPI-5 = x
OBX-22 = beyond
fields OBX 22
""")
d = MSH + b"\rPID|1||||\rNTE|1|^^^|&&\r"
put("trailing_separators", d, """status ok
fields PID 5
PID-1 = 1
PID-5 empty
NTE-2 raw ^^^
NTE-2.4 empty
NTE-2.5 empty
NTE-3.1.3 empty
""")

# ---- null versus empty ---------------------------------------------------------------------------
d = MSH + b'\rPID|1|""||Hon^""^^^""|""~|a&""&b\r'
put("null_vs_empty", d, """status ok
PID-1 = 1
PID-2 null
PID-2 raw ""
PID-3 empty
PID-4.1 = Hon
PID-4.2 null
PID-4.3 empty
PID-4.5 null
PID-5(1) null
PID-5(2) empty
PID-6.1.1 = a
PID-6.1.2 null
PID-6.1.3 = b
""")

# ---- escapes ---------------------------------------------------------------------------------------
d = MSH + b"\rERR|\\S\\\\S\\\\S\\NONEXISTING|\\S\\\\S\\\\S\\\\T\\1.2.3.4\\T\\ISO|a\\F\\b\\R\\c\\E\\d\r"
put("escape_back_to_back", d, """status ok
ERR-1 = ^^^NONEXISTING
ERR-2 = ^^^&1.2.3.4&ISO
ERR-3 = a|b~c\\d
ERR-1 raw \\S\\\\S\\\\S\\NONEXISTING
""")
d = MSH + b"\rNTE|1||line1\\X0D0A\\line2|\\X41\\\\X62\\|\\Xc3a9\\\r"
put("escape_hex", d, """status ok
NTE-3 hex 6C696E65310D0A6C696E6532
NTE-4 = Ab
NTE-5 = \u00e9
""")
d = MSH + b"\rNTE|1||text \\S\\ok \\E broken\r"
put("escape_unterminated", d, err(d, "ESCAPE", b"\\E broken", 2, 3))
d = MSH + b"\rNTE|1||fine|bad \\Q\\ one\r"
put("escape_unknown", d, err(d, "ESCAPE", b"\\Q\\", 2, 4))
d = MSH + b"\rNTE|1||ab\\S^cd\\\r"
put("escape_across_delimiter", d, err(d, "ESCAPE", b"\\S^", 2, 3))
d = MSH + b"\rNTE|1||odd \\X4\\ hex\r"
put("escape_hex_odd", d, err(d, "ESCAPE", b"\\X4\\", 2, 3))
d = MSH + b"\rNTE|1||bad \\XZZ\\ hex\r"
put("escape_hex_not_hex", d, err(d, "ESCAPE", b"\\XZZ\\", 2, 3))
d = MSH + b"\rNTE|1||a~b \\S\\ c~d\\T\\e^\\F\r"
put("escape_in_repeating_component", d, err(d, "ESCAPE", b"\\F\r", 2, 3))
d = MSH + b"\rNTE|1||a~b \\S\\ c~d\\T\\e^f\r"
put("escape_in_repetition", d, """status ok
NTE-3(2) = b ^ c
NTE-3(3).1 = d&e
NTE-3(3).2 = f
""")
d = MSH + b"\rNTE|1||\\H\\Alert\\N\\ line\\.br\\next \\.sp 2\\ x\\Zlocal\\y\\C2842\\z\r"
put("escape_formatting_kept", d, """status ok
NTE-3 = \\H\\Alert\\N\\ line\\.br\\next \\.sp 2\\ x\\Zlocal\\y\\C2842\\z
""")

# ---- repetitions and limits ---------------------------------------------------------------------
reps = b"~".join(b"ID%d^^^AUTH%d&1.2.3.%d&ISO^MR" % (i, i, i) for i in range(1, 1001))
d = MSH + b"\rPID|||" + reps + b"\r"
put("deep_repetitions_1000", d, """status ok
PID-3(1).1 = ID1
PID-3(999).4.2 = 1.2.3.999
PID-3(1000).4.3 = ISO
PID-3(1000).5 = MR
""")
reps = b"~".join(b"R%d" % i for i in range(1, 1002))
d = MSH + b"\rPID|||" + reps + b"\r"
put("too_many_repetitions", d,
    err(d, "TOO_MANY_REPETITIONS", b"~R1001", 2, 3))
d = MSH + b"\rZXX" + b"|f" * 1001 + b"\r"
put("too_many_fields", d, "status TOO_MANY_FIELDS segment 2 field 1001 offset %d\n"
    % (d.index(b"ZXX") + 3 + 1000 * 2 + 1))
d = MSH + b"\rZXX" + b"|f" * 1000 + b"\r"
put("fields_at_limit", d, "status ok\nfields ZXX 1000\nZXX-1000 = f\n")

# ---- binary bytes ----------------------------------------------------------------------------------
d = MSH + b"\rNTE|1||a\x00b\x01\xff\x7f\x0bc|\xc3\xa9t\xc3\xa9\r"
put("binary_bytes", d, """status ok
NTE-3 hex 61006201FF7F0B63
NTE-4 hex C3A974C3A9
""")

for name, (data, expect) in sorted(files.items()):
    with open(os.path.join(OUT, name + ".hl7"), "wb") as f:
        f.write(data)
    with open(os.path.join(OUT, name + ".expect"), "w", encoding="utf-8") as f:
        f.write(expect)
print("wrote %d fixtures to %s" % (len(files), OUT))

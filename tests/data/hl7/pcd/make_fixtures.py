#!/usr/bin/env python3
"""Writes the PCD fixtures of this folder and expect.txt (what each must yield).

Each fixture is a small variation of a base message, so every rule of standards.md §3 is
exercised by one file. Run it from anywhere; it rewrites the .hl7 files next to it. The files are
committed: tests read them, they never run this script.

expect.txt, one line per file:  FILE PROFILE RESULT [WHERE=CODE ...]
  PROFILE  auto or a profile name (pcd-01 ... rrg-o16)
  RESULT   ok (no error), invalid (errors), malformed (does not parse), unusable
  WHERE=CODE  an error problem at WHERE (e.g. RXG-16, OBX-4, message) whose PIV code or HL7
              table 0357 code is CODE; every one listed must be reported.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
out = []  # (name, text, profile, result, expects)


def seg(name, fields):
    """fields: {n: value}; MSH numbering handled by the caller (MSH-3 is index 3)."""
    n = max(fields) if fields else 0
    if name == 'MSH':
        vals = [fields.get(i, '') for i in range(3, n + 1)]
        return 'MSH|^~\\&|' + '|'.join(vals)
    vals = [fields.get(i, '') for i in range(1, n + 1)]
    return name + ('|' + '|'.join(vals) if vals else '')


def msg(segs, term='\r'):
    return term.join(segs) + term


def add(name, segs, result, *expects, profile='auto', term='\r'):
    out.append((name, msg(segs, term), profile, result, list(expects)))


def msh(type_, oid, accept='AL', app='AL', ctrl='MSG0001', time='20260301101500+0100',
        version='2.6', extra=None):
    f = {3: 'BCMA^1234560000000001^EUI-64', 4: 'HOSP', 5: 'OPENINFUSION^0012210000000001^EUI-64',
         6: 'HOSP', 7: time, 9: type_, 10: ctrl, 11: 'P', 12: version, 15: accept, 16: app,
         18: 'UNICODE UTF-8', 19: 'en^English^ISO639'}
    if oid:
        f[21] = 'IHE_PCD^IHE PCD^' + oid + '^ISO'
    if extra:
        f.update(extra)
    f = {k: v for k, v in f.items() if v is not None}
    return seg('MSH', f)


# ---------------------------------------------------------------- PCD-03 RGV^O15
O3 = '1.3.6.1.4.1.19376.1.6.1.3.1'
ML = '263762^MDC_DIM_MILLI_L^MDC'
UGKGMIN = '265619^MDC_DIM_MICRO_G_PER_KG_PER_MIN^MDC'
MLH = '265266^MDC_DIM_MILLI_L_PER_HR^MDC^mL/h^mL/h^UCUM'


def o3(msh_extra=None, pid=None, orc=None, rxg=None, tq1=None, rxr=None, obx=None, tail=None,
       head=None, msh_kw=None):
    m = msh('RGV^O15^RGV_O15', O3, extra=msh_extra, **(msh_kw or {}))
    p = {3: 'MRN4711^^^HOSP&1.2.3&ISO^MR', 5: 'Doe^Jane', 7: '19700101', 8: 'F'}
    if pid not in (None, False):
        p.update(pid)
    o = {1: 'RE', 2: 'PLC1001', 9: '20260301101400+0100', 12: 'DOC7^House^Greg',
         19: 'RN42^Nurse^Nancy'}
    if orc is not None:
        o.update(orc)
    g = {1: '1', 4: 'DOPA800^Dopamine', 5: '250', 7: ML, 15: '5', 16: UGKGMIN, 17: '800',
         18: '263890^MDC_DIM_MILLI_G^MDC', 23: '250', 24: ML}
    if rxg is not None:
        g.update(rxg)
    r = {1: '^IV^HL70162', 3: '^IVP^HL70164', 4: '^IV^HL70165'}
    if rxr not in (None, False):
        r.update(rxr)
    obxs = [seg('OBX', {1: '1', 3: '69986^MDC_DEV_PUMP_INFUS_VMD^MDC', 11: 'X',
                        18: 'A0001^^1.2.840.99.1^ISO'}),
            seg('OBX', {1: '2', 2: 'NM', 3: '68063^MDC_ATTR_PT_WEIGHT^MDC', 5: '82.5',
                        6: '263875^MDC_DIM_KILO_G^MDC', 11: 'R'})]
    if obx is not None:
        obxs = obx
    segs = [m] + (head or [])
    if pid is not False:
        segs += [seg('PID', {k: v for k, v in p.items() if v is not None}), seg('PV1', {2: 'I', 3: 'ICU^12^1'})]
    segs.append(seg('ORC', {k: v for k, v in o.items() if v is not None}))
    segs.append(seg('RXG', {k: v for k, v in g.items() if v is not None}))
    if tq1 is not None:
        segs.append(seg('TQ1', {13: tq1}) if tq1 else 'TQ1')
    if rxr is not False:
        segs.append(seg('RXR', {k: v for k, v in r.items() if v is not None}))
    segs += obxs
    segs += (tail or [])
    return segs


PUMP_OBX = seg('OBX', {1: '1', 3: '69986^MDC_DEV_PUMP_INFUS_VMD^MDC', 11: 'X',
                       18: 'A0001^^1.2.840.99.1^ISO'})
WEIGHT = seg('OBX', {1: '2', 2: 'NM', 3: '68063^MDC_ATTR_PT_WEIGHT^MDC', 5: '82.5',
                     6: '263875^MDC_DIM_KILO_G^MDC', 11: 'R'})


def obx(n, code, value='', units='', type_='NM'):
    return seg('OBX', {1: str(n), 2: type_, 3: code, 5: value, 6: units, 11: 'R'})


add('pcd03_ok_dopamine_dose_rate.hl7', o3(), 'ok')
add('pcd03_ok_dopamine_crlf.hl7', o3(), 'ok', term='\r\n')
add('pcd03_ok_dopamine_lf.hl7', o3(), 'ok', term='\n')
add('pcd03_ok_saline_ucum_rate.hl7',
    o3(rxg={4: 'NS1000^Sodium chloride 0.9%', 5: '1000', 7: 'mL^mL^UCUM', 15: '125',
            16: 'mL/h^mL/h^UCUM', 17: None, 18: None, 23: None, 24: None},
       obx=[PUMP_OBX]), 'ok')
add('pcd03_ok_intermittent_dose_tq1.hl7',
    o3(rxg={4: 'CEFA1G^Cefazolin', 5: None, 7: None, 15: '1', 16: '263872^MDC_DIM_X_G^MDC',
            17: '1', 18: 'g^g^UCUM', 23: '50', 24: 'mL^mL^UCUM'},
       tq1='30^264352&MDC_DIM_MIN&MDC', obx=[PUMP_OBX]), 'ok')
add('pcd03_ok_tq1_hours_and_minutes.hl7',
    o3(rxg={5: None, 7: None, 15: '2', 16: '263872^MDC_DIM_X_G^MDC'},
       tq1='2^264384&MDC_DIM_HR&MDC~45^264352&MDC_DIM_MIN&MDC'), 'ok')
add('pcd03_ok_xo_rate_change.hl7',
    o3(orc={1: 'XO'}, rxg={5: None, 7: None, 15: '7.5'}), 'ok')
add('pcd03_ok_bolus_ch.hl7',
    o3(orc={1: 'CH', 2: 'PLC1002', 8: 'PLC1001'},
       rxg={5: None, 7: None, 15: '2', 16: '263890^MDC_DIM_MILLI_G^MDC'},
       tq1='5^264352&MDC_DIM_MIN&MDC',
       obx=[PUMP_OBX, WEIGHT, obx(3, '0^MDCX_INFUSION_ORDER_TYPE^MDC', '^clinician-dose', '', 'CWE')]),
    'ok')
add('pcd03_ok_bolus_dose_with_rate_obx.hl7',
    o3(orc={1: 'CH', 2: 'PLC1002', 8: 'PLC1001'},
       rxg={5: None, 7: None, 15: '2', 16: '263890^MDC_DIM_MILLI_G^MDC'},
       obx=[PUMP_OBX, WEIGHT, obx(3, '0^MDCX_INFUSION_ORDER_TYPE^MDC', '^clinician-dose', '', 'CWE'),
            obx(4, '157784^MDC_FLOW_FLUID_PUMP^MDC', '100', MLH)]), 'ok')


def step(n, rate, step_type=None, drug='DOPA800^Dopamine', vol='100'):
    g = {1: str(n), 4: drug, 5: vol, 7: ML, 15: rate, 16: UGKGMIN, 17: '800',
         18: '263890^MDC_DIM_MILLI_G^MDC', 23: '250', 24: ML}
    segs = [seg('RXG', g), seg('RXR', {1: '^IV^HL70162', 3: '^IVP^HL70164'})]
    if n == 1:
        segs += [PUMP_OBX, WEIGHT]
    segs.append(obx(10 + n, '0^MDCX_INFUS_ORDER_STEP_TYPE^MDC', step_type or 'continuous', '', 'ST'))
    return segs


def multistep(steps, total='2'):
    m = msh('RGV^O15^RGV_O15', O3)
    segs = [m, seg('PID', {3: 'MRN4711', 5: 'Doe^Jane'}),
            seg('ORC', {1: 'RE', 2: 'PLC2001', 9: '20260301101400+0100', 19: 'RN42'})]
    for s in steps:
        segs += s
    if total:
        segs.append(obx(20, '0^MDCX_INFUS_TOTAL_NUM_STEPS^MDC', total, '', 'NM').replace('|NM|', '|NM|', 1))
    return segs


# total steps: NM without units would be an error in PCD-01, but PIV does not constrain it.
add('pcd03_ok_multistep.hl7', multistep([step(1, '10', 'loading dose'), step(2, '5')]), 'ok')
add('pcd03_ok_pca.hl7',
    o3(rxg={4: 'MORPH1^Morphine', 5: None, 7: None, 15: None, 16: None, 17: '30',
            18: '263890^MDC_DIM_MILLI_G^MDC', 23: '30', 24: ML},
       rxr={3: '^PCA^HL70164', 4: None},
       obx=[PUMP_OBX, obx(2, '158017^MDC_DOSE_PCA_PATIENT^MDC', '1', '263890^MDC_DIM_MILLI_G^MDC'),
            obx(3, '157989^MDC_TIME_PCA_LOCKOUT^MDC', '10', '264352^MDC_DIM_MIN^MDC'),
            obx(4, '157985^MDC_DOSE_PCA_LIMIT^MDC', '6', '263890^MDC_DIM_MILLI_G^MDC')]), 'ok')
add('pcd03_ok_legacy_forms.hl7',
    o3(rxr={1: 'IV', 3: 'IVP', 4: None},
       obx=[seg('OBX', {1: '1', 3: '69986^MDC_DEV_PUMP_INFUS_VMD^MDC', 11: 'X',
                        18: '^^A0001^PUMPVENDOR'}), WEIGHT]), 'ok')
add('pcd03_ok_bsa_based.hl7',
    o3(rxg={16: 'mg/m2/h^mg/m2/h^UCUM', 15: '3'},
       obx=[PUMP_OBX, obx(2, '188744^MDC_AREA_BODY_SURF_ACTUAL^MDC', '1.9', '263616^MDC_DIM_SQ_X_M^MDC'),
            obx(3, '68060^MDC_ATTR_PT_HEIGHT^MDC', '172', '263441^MDC_DIM_CENTI_M^MDC')]), 'ok')
add('pcd03_ok_no_pid.hl7', o3(pid=False, rxg={15: '10', 16: MLH}, obx=[PUMP_OBX]), 'ok')
add('pcd03_ok_msh12_25.hl7', o3(msh_kw={'version': '2.5'}), 'ok')
add('pcd03_ok_escaped_drug_name.hl7', o3(rxg={4: 'D5W^Dextrose 5% \\T\\ Water'}), 'ok')
add('pcd03_ok_zsegment_ignored.hl7', o3(tail=['ZXT|local|data']), 'ok')

add('pcd03_bad_orc2_empty.hl7', o3(orc={2: None}), 'invalid', 'ORC-2=9003')
add('pcd03_bad_orc1_empty.hl7', o3(orc={1: None}), 'invalid', 'ORC-1=9003')
add('pcd03_bad_orc1_unknown.hl7', o3(orc={1: 'NW'}), 'invalid', 'ORC-1=9004')
add('pcd03_bad_orc9_empty.hl7', o3(orc={9: None}), 'invalid', 'ORC-9=9003')
add('pcd03_bad_orc9_no_offset.hl7', o3(orc={9: '20260301101400'}), 'invalid', 'ORC-9=102')
add('pcd03_bad_orc9_space_in_offset.hl7', o3(orc={9: '20080101123456- 0600'}), 'invalid', 'ORC-9=102')
add('pcd03_bad_orc19_empty.hl7', o3(orc={19: None}), 'invalid', 'ORC-19=9003')
add('pcd03_bad_xo_with_vtbi.hl7', o3(orc={1: 'XO'}), 'invalid', 'RXG-5=9004')
add('pcd03_bad_xo_with_dose.hl7',
    o3(orc={1: 'XO'}, rxg={5: None, 7: None, 15: '2', 16: '263872^MDC_DIM_X_G^MDC'},
       tq1='30^264352&MDC_DIM_MIN&MDC'), 'invalid', 'RXG-16=9004')
add('pcd03_bad_xo_without_rate.hl7', o3(orc={1: 'XO'}, rxg={5: None, 7: None, 15: None, 16: None}),
    'invalid', 'RXG-15=9003')
add('pcd03_bad_dose_without_tq1.hl7', o3(rxg={15: '2', 16: '263872^MDC_DIM_X_G^MDC'}),
    'invalid', 'RXG-16=9003')
add('pcd03_bad_vtbi_units_not_ml.hl7', o3(rxg={7: 'L^L^UCUM'}), 'invalid', 'RXG-7=9004')
add('pcd03_bad_vtbi_units_missing.hl7', o3(rxg={7: None}), 'invalid', 'RXG-7=9004')
add('pcd03_bad_vtbi_not_number.hl7', o3(rxg={5: '250 mL'}), 'invalid', 'RXG-5=9004')
add('pcd03_bad_rate_unit_unknown.hl7', o3(rxg={16: 'furlong/fortnight^furlong/fortnight^UCUM'}),
    'invalid', 'RXG-16=9008')
add('pcd03_bad_rate_units_disagree.hl7',
    o3(rxg={16: '265266^MDC_DIM_MILLI_L_PER_HR^MDC^ug/kg/min^ug/kg/min^UCUM'}), 'invalid',
    'RXG-16=9008')
add('pcd03_bad_rate_not_number.hl7', o3(rxg={15: 'fast'}), 'invalid', 'RXG-15=9004')
add('pcd03_bad_rate_units_missing.hl7', o3(rxg={16: None}), 'invalid', 'RXG-16=9003')
add('pcd03_bad_rate_missing_lvp.hl7', o3(rxg={15: None, 16: None}), 'invalid', 'RXG-15=9003')
add('pcd03_bad_weight_missing.hl7', o3(obx=[PUMP_OBX]), 'invalid', 'RXG-16=9019')
add('pcd03_bad_bsa_missing.hl7', o3(rxg={16: 'mg/m2/h^mg/m2/h^UCUM'}, obx=[PUMP_OBX]), 'invalid',
    'RXG-16=9027')
add('pcd03_bad_no_pump_obx.hl7', o3(obx=[WEIGHT]), 'invalid', 'message=9001')
add('pcd03_bad_pump_id_empty.hl7',
    o3(obx=[seg('OBX', {1: '1', 3: '69986^MDC_DEV_PUMP_INFUS_VMD^MDC', 11: 'X'}), WEIGHT]),
    'invalid', 'OBX-18=9001')
add('pcd03_bad_two_pump_obx.hl7', o3(obx=[PUMP_OBX, PUMP_OBX, WEIGHT]), 'invalid', 'OBX-3=9004')
add('pcd03_bad_drug_text_missing.hl7', o3(rxg={4: 'DOPA800'}), 'invalid', 'RXG-4=9003')
add('pcd03_bad_drug_id_missing.hl7', o3(rxg={4: '^Dopamine'}), 'invalid', 'RXG-4=9003')
add('pcd03_bad_drug_name_too_long.hl7', o3(rxg={4: 'DOPA800^' + 'D' * 200}), 'invalid', 'RXG-4=104')
add('pcd03_bad_no_rxr.hl7', o3(rxr=False), 'invalid', 'RXG=9003')
add('pcd03_bad_route_unknown.hl7', o3(rxr={1: '^PO^HL70162'}), 'invalid', 'RXR-1=9004')
add('pcd03_bad_route_empty.hl7', o3(rxr={1: None}), 'invalid', 'RXR-1=9003')
add('pcd03_bad_device_unknown.hl7', o3(rxr={3: '^XYZ^HL70164'}), 'invalid', 'RXR-3=9004')
add('pcd03_bad_weight_in_lb.hl7',
    o3(obx=[PUMP_OBX, obx(2, '68063^MDC_ATTR_PT_WEIGHT^MDC', '180', '[lb_av]^[lb_av]^UCUM')]),
    'invalid', 'OBX-6=9008')
add('pcd03_bad_weight_not_number.hl7',
    o3(obx=[PUMP_OBX, obx(2, '68063^MDC_ATTR_PT_WEIGHT^MDC', 'eighty', '263875^MDC_DIM_KILO_G^MDC')]),
    'invalid', 'OBX-5=9004')
add('pcd03_bad_multistep_other_drug.hl7',
    multistep([step(1, '10'), step(2, '5', drug='HEP^Heparin')]), 'invalid', 'RXG-4=9004')
add('pcd03_bad_multistep_numbering.hl7', multistep([step(1, '10'), step(3, '5')]), 'invalid',
    'RXG-1=9004')
add('pcd03_bad_multistep_total.hl7', multistep([step(1, '10'), step(2, '5')], total='3'),
    'invalid', 'message=9004')
add('pcd03_bad_bolus_without_parent.hl7',
    o3(orc={1: 'CH', 2: 'PLC1002'}, rxg={5: None, 7: None, 15: '2', 16: '263890^MDC_DIM_MILLI_G^MDC'},
       tq1='5^264352&MDC_DIM_MIN&MDC',
       obx=[PUMP_OBX, WEIGHT, obx(3, '0^MDCX_INFUSION_ORDER_TYPE^MDC', '^clinician-dose', '', 'CWE')]),
    'invalid', 'ORC-8=9003')
add('pcd03_bad_bolus_without_order_type.hl7',
    o3(orc={1: 'CH', 2: 'PLC1002', 8: 'PLC1001'},
       rxg={5: None, 7: None, 15: '2', 16: '263890^MDC_DIM_MILLI_G^MDC'},
       tq1='5^264352&MDC_DIM_MIN&MDC'), 'invalid', 'RXG=9003')
add('pcd03_bad_bolus_dose_only.hl7',
    o3(orc={1: 'CH', 2: 'PLC1002', 8: 'PLC1001'},
       rxg={5: None, 7: None, 15: '2', 16: '263890^MDC_DIM_MILLI_G^MDC'},
       obx=[PUMP_OBX, WEIGHT, obx(3, '0^MDCX_INFUSION_ORDER_TYPE^MDC', '^clinician-dose', '', 'CWE')]),
    'invalid', 'RXG-15=9003')
add('pcd03_bad_pca_no_lockout.hl7',
    o3(rxg={4: 'MORPH1^Morphine', 5: None, 7: None, 15: None, 16: None},
       rxr={3: '^PCA^HL70164'},
       obx=[PUMP_OBX, obx(2, '158017^MDC_DOSE_PCA_PATIENT^MDC', '1', '263890^MDC_DIM_MILLI_G^MDC'),
            obx(3, '157985^MDC_DOSE_PCA_LIMIT^MDC', '6', '263890^MDC_DIM_MILLI_G^MDC')]),
    'invalid', 'message=9025')
add('pcd03_bad_pca_no_limit.hl7',
    o3(rxg={4: 'MORPH1^Morphine', 5: None, 7: None, 15: None, 16: None},
       rxr={3: '^PCA^HL70164'},
       obx=[PUMP_OBX, obx(2, '158017^MDC_DOSE_PCA_PATIENT^MDC', '1', '263890^MDC_DIM_MILLI_G^MDC'),
            obx(3, '157989^MDC_TIME_PCA_LOCKOUT^MDC', '10', '264352^MDC_DIM_MIN^MDC')]),
    'invalid', 'message=9026')
add('pcd03_bad_concentration_incomplete.hl7', o3(rxg={23: None, 24: None}), 'invalid',
    'RXG-23=9003')
add('pcd03_bad_strength_volume_not_ml.hl7', o3(rxg={24: '263890^MDC_DIM_MILLI_G^MDC'}), 'invalid',
    'RXG-24=9004')
add('pcd03_bad_lvp_no_vtbi_no_tq1.hl7', o3(rxg={5: None, 7: None}), 'invalid', 'RXG-5=9003')
add('pcd03_bad_pid3_empty.hl7', o3(pid={3: None}), 'invalid', 'PID-3=9031')
add('pcd03_bad_msh10_empty.hl7', o3(msh_kw={'ctrl': ''}), 'invalid', 'MSH-10=101')
add('pcd03_bad_msh15_ne.hl7', o3(msh_kw={'accept': 'NE'}), 'invalid', 'MSH-15=103')
add('pcd03_bad_msh16_unknown.hl7', o3(msh_kw={'app': 'XX'}), 'invalid', 'MSH-16=103')
add('pcd03_bad_msh7_no_offset.hl7', o3(msh_kw={'time': '20260301101500'}), 'invalid', 'MSH-7=102')
add('pcd03_bad_msh12_not_v2.hl7', o3(msh_kw={'version': '3.0'}), 'invalid', 'MSH-12=203')
add('pcd03_bad_tq1_units.hl7',
    o3(rxg={5: None, 7: None, 15: '2', 16: '263872^MDC_DIM_X_G^MDC'},
       tq1='30^263875&MDC_DIM_KILO_G&MDC'), 'invalid', 'TQ1-13=9008')
add('pcd03_bad_tq1_empty.hl7', o3(rxg={5: None, 7: None, 15: '2', 16: '263872^MDC_DIM_X_G^MDC'}, tq1=''),
    'invalid', 'TQ1-13=9003')
add('pcd03_bad_tq1_after_rxr.hl7',
    o3(rxg={15: '2', 16: '263872^MDC_DIM_X_G^MDC'}, tail=[seg('TQ1', {13: '30^264352&MDC_DIM_MIN&MDC'})]),
    'invalid', 'TQ1=100')
add('pcd03_bad_second_orc.hl7', o3(tail=[seg('ORC', {1: 'RE', 2: 'PLC9'})]), 'invalid', 'ORC=9016')
add('pcd03_bad_no_orc.hl7', [msh('RGV^O15^RGV_O15', O3), seg('PID', {3: 'MRN1'})], 'invalid',
    'message=9003')
add('pcd03_bad_not_rgv.hl7', [msh('ORU^R01^ORU_R01', O3)] + o3()[1:],
    'invalid', 'MSH-9=200', profile='pcd-03')
add('pcd03_malformed_msh2.hl7', ['MSH|^|BCMA|||||RGV^O15|1|P|2.6'], 'malformed')
add('pcd03_malformed_bad_escape.hl7', o3(rxg={4: 'DOPA800^Dopa\\Qmine'}), 'malformed')

# ---------------------------------------------------------------- PCD-01 ORU^R01
O1 = '1.3.6.1.4.1.19376.1.6.1.1.1'
O10 = '1.3.6.1.4.1.19376.1.6.4.10'


def dev(n, code, path, equip=''):
    f = {1: str(n), 3: code, 4: path, 11: 'X'}
    if equip:
        f[18] = equip
    return seg('OBX', f)


def met(n, type_, code, path, value, units='', method='', time=''):
    f = {1: str(n), 2: type_, 3: code, 4: path, 5: value, 6: units, 11: 'R'}
    if time:
        f[14] = time
    if method:
        f[17] = method
    return seg('OBX', {k: v for k, v in f.items() if v != ''})


def o1_obx(variant=None):
    rows = [
        ('d', '70049^MDC_DEV_PUMP_INFUS_LVP_MDS^MDC', '1.0.0.0', '0012210000000002^^0012210000000002^EUI-64'),
        ('d', '70050^MDC_DEV_PUMP_INFUS_LVP_VMD^MDC', '1.1.0.0', ''),
        ('d', '70067^MDC_DEV_PUMP_DELIVERY_INFO^MDC', '1.1.1.0', ''),
        ('m', 'CWE', '184519^MDC_PUMP_INFUSING_STATUS^MDC', '1.1.1.1', '^pump-status-infusing', ''),
        ('m', 'NM', '158014^MDC_FLOW_FLUID_PUMP_CURRENT^MDC', '1.1.1.2', '15.4', MLH),
        ('d', '70071^MDC_DEV_PUMP_INFUSATE_SOURCE_PRIMARY^MDC', '1.1.2.0', ''),
        ('m', 'NM', '157784^MDC_FLOW_FLUID_PUMP^MDC', '1.1.2.4', '15.4', MLH),
        ('m', 'NM', '157924^MDC_RATE_DOSE^MDC', '1.1.2.5', '5.00', UGKGMIN + '^ug/kg/min^ug/kg/min^UCUM'),
        ('m', 'NM', '157993^MDC_VOL_FLUID_DELIV_TOTAL^MDC', '1.1.2.7', '12.0', ML),
        ('m', 'NM', '157988^MDC_UNKNOWN_TO_US^MDC', '1.1.2.20', '3', '262656^MDC_DIM_DIMLESS^MDC'),
    ]
    if variant:
        rows = variant(rows)
    segs = []
    for i, r in enumerate(rows, 1):
        if r[0] == 'd':
            segs.append(dev(i, r[1], r[2], r[3]))
        else:
            segs.append(met(i, r[1], r[2], r[3], r[4], r[5]))
    return segs


def o1(variant=None, obr=None, msh_kw=None, pid=None, extra_obx=None):
    kw = {'app': 'NE'}
    kw.update(msh_kw or {})
    m = msh('ORU^R01^ORU_R01', O1, **kw)
    p = {3: 'MRN4711^^^HOSP^MR', 5: 'Doe^Jane'}
    if pid:
        p.update(pid)
    b = {1: '1', 2: 'PLC1001', 3: 'R0001^OPENINFUSION^0012210000000001^EUI-64',
         4: 'DOPA800^Dopamine', 7: '20260301102000+0100'}
    if obr:
        b.update(obr)
    segs = [m, seg('PID', {k: v for k, v in p.items() if v is not None}),
            seg('PV1', {2: 'I', 3: 'ICU^12^1'}),
            seg('OBR', {k: v for k, v in b.items() if v is not None})]
    return segs + o1_obx(variant) + (extra_obx or [])


add('pcd01_ok_pump_status.hl7', o1(), 'ok')


def devices_first(rows):
    return [r for r in rows if r[0] == 'd'] + [r for r in rows if r[0] == 'm']


add('pcd01_ok_devices_first_variant.hl7', o1(devices_first), 'ok')
add('pcd01_ok_identity_unknown.hl7', o1(pid={3: 'Unknown', 31: 'Y'}), 'ok')
add('pcd01_ok_medication_unknown.hl7', o1(obr={4: '999999^Medication Unknown'}), 'ok')
add('pcd01_ok_numeric_sorting.hl7',
    o1(lambda r: r + [('d', '70050^MDC_DEV_PUMP_INFUS_LVP_VMD^MDC', '1.11.0.0', '')]), 'ok')
add('pcd01_bad_duplicate_obx4.hl7',
    o1(lambda r: r + [('m', 'NM', '157784^MDC_FLOW_FLUID_PUMP^MDC', '1.1.2.4', '15.4', MLH)]),
    'invalid', 'OBX-4=205')
add('pcd01_bad_metric_before_device.hl7',
    o1(lambda r: r[:3] + [r[6]] + r[3:6] + r[7:]), 'invalid', 'OBX-4=100')
add('pcd01_bad_not_in_dictionary_order.hl7',
    o1(lambda r: r[:1] + [('d', '70050^MDC_DEV_PUMP_INFUS_LVP_VMD^MDC', '1.11.0.0', '')] + r[1:]),
    'invalid', 'message=100')
add('pcd01_bad_numeric_without_units.hl7',
    o1(lambda r: r[:4] + [('m', 'NM', '158014^MDC_FLOW_FLUID_PUMP_CURRENT^MDC', '1.1.1.2', '15.4', '')] + r[5:]),
    'invalid', 'OBX-6=101')
add('pcd01_bad_numeric_not_number.hl7',
    o1(lambda r: r[:4] + [('m', 'NM', '158014^MDC_FLOW_FLUID_PUMP_CURRENT^MDC', '1.1.1.2', 'n/a', MLH)] + r[5:]),
    'invalid', 'OBX-5=102')
add('pcd01_bad_obx14_no_offset.hl7',
    o1(extra_obx=[met(11, 'NM', '157872^MDC_VOL_FLUID_TBI_REMAIN^MDC', '1.1.2.8', '238', ML,
                      time='20260301101900')]), 'invalid', 'OBX-14=102')
add('pcd01_bad_obr7_no_offset.hl7', o1(obr={7: '20260301102000'}), 'invalid', 'OBR-7=102')
add('pcd01_bad_obr4_empty.hl7', o1(obr={4: None}), 'invalid', 'OBR-4=101')
add('pcd01_bad_mds_without_obx18.hl7',
    o1(lambda r: [('d', r[0][1], r[0][2], '')] + r[1:]), 'invalid', 'OBX-18=101')
add('pcd01_bad_msh16_al.hl7', o1(msh_kw={'app': 'AL'}), 'invalid', 'MSH-16=103')
add('pcd01_bad_obx4_not_dotted.hl7',
    o1(lambda r: r[:4] + [('m', 'NM', '158014^MDC_FLOW_FLUID_PUMP_CURRENT^MDC', 'abc', '15.4', MLH)] + r[5:]),
    'invalid', 'OBX-4=102')
add('pcd01_bad_no_obr.hl7', [msh('ORU^R01^ORU_R01', O1, app='NE')] + o1_obx(), 'invalid',
    'message=100')

# ---------------------------------------------------------------- PCD-10 ORU^R42


def o10(event='197288^MDC_EVT_PUMP_DELIV_START^MDC', source='1.1.2.0', delivery='pump-delivery-status-delivering',
        extra=None, drop=None, second_event=False):
    m = msh('ORU^R42^ORU_R01', O10, app='NE')
    segs = [m, seg('PID', {3: 'MRN4711^^^HOSP^MR', 5: 'Doe^Jane'}),
            seg('OBR', {1: '1', 2: 'PLC1001', 3: 'E0001^OPENINFUSION^0012210000000001^EUI-64',
                        4: 'DOPA800^Dopamine', 7: '20260301102000+0100'})]
    rows = [
        ('d', '70049^MDC_DEV_PUMP_INFUS_LVP_MDS^MDC', '1.0.0.0', '0012210000000002^^0012210000000002^EUI-64'),
        ('m', 'CWE', '68487^MDC_ATTR_EVT_COND^MDC', '1.0.0.2', event, ''),
        ('m', 'ST', '68488^MDC_ATTR_EVT_SOURCE^MDC', '1.0.0.3', source, ''),
        ('d', '70050^MDC_DEV_PUMP_INFUS_LVP_VMD^MDC', '1.1.0.0', ''),
        ('d', '70067^MDC_DEV_PUMP_DELIVERY_INFO^MDC', '1.1.1.0', ''),
        ('m', 'CWE', '184519^MDC_PUMP_INFUSING_STATUS^MDC', '1.1.1.1', '^pump-status-infusing', ''),
        ('m', 'NM', '158014^MDC_FLOW_FLUID_PUMP_CURRENT^MDC', '1.1.1.2', '15.4', MLH),
        ('m', 'CWE', '158016^MDC_DEV_PUMP_ACTIVE_SOURCES^MDC', '1.1.1.3', '^pump-source-info-primary', ''),
        ('d', '70071^MDC_DEV_PUMP_INFUSATE_SOURCE_PRIMARY^MDC', '1.1.2.0', ''),
        ('m', 'CWE', '158005^MDC_DEV_PUMP_CURRENT_DELIVERY_STATUS^MDC', '1.1.2.1', '^' + delivery, ''),
        ('m', 'CWE', '158008^MDC_DEV_PUMP_PROGRAM_DELIVERY_MODE^MDC', '1.1.2.2', '^pump-program-delivery-mode-continuous', ''),
        ('m', 'ST', '158012^MDC_DEV_PUMP_SOURCE_CHANNEL_LABEL^MDC', '1.1.2.3', 'Primary', ''),
        ('m', 'NM', '157784^MDC_FLOW_FLUID_PUMP^MDC', '1.1.2.4', '15.4', MLH),
    ]
    if second_event:
        rows.insert(2, ('m', 'CWE', '68487^MDC_ATTR_EVT_COND^MDC', '1.0.0.4', event, ''))
    if extra:
        rows += extra
    if drop:
        rows = [r for r in rows if drop not in r[1] and drop not in r[2]]
    for i, r in enumerate(rows, 1):
        segs.append(dev(i, r[1], r[2], r[3]) if r[0] == 'd' else met(i, r[1], r[2], r[3], r[4], r[5]))
    return segs


STOPPED = [('m', 'NM', '157993^MDC_VOL_FLUID_DELIV_TOTAL^MDC', '1.1.2.7', '42.0', ML),
           ('m', 'CWE', '0^MDC_DEV_PUMP_NOT_DELIVERING_REASON^MDC', '1.1.2.14', '^pump-stopped-by-clinician', '')]
add('pcd10_ok_delivery_start.hl7', o10(), 'ok')
add('pcd10_ok_delivery_stop_code0.hl7',
    o10(event='0^MDC_EVT_PUMP_DELIV_STOP^MDC', delivery='pump-delivery-status-not-delivering',
        extra=STOPPED), 'ok')
add('pcd10_ok_delivery_complete.hl7',
    o10(event='0^MDC_EVT_PUMP_DELIV_COMP^MDC', delivery='pump-delivery-status-transitioning',
        extra=STOPPED[:1]), 'ok')
add('pcd10_bad_two_events.hl7', o10(second_event=True), 'invalid', 'message=100')
add('pcd10_bad_no_event.hl7', o10(drop='MDC_ATTR_EVT_COND'), 'invalid', 'message=101')
add('pcd10_bad_no_event_source.hl7', o10(drop='MDC_ATTR_EVT_SOURCE'), 'invalid', 'message=101')
add('pcd10_bad_event_source_unknown.hl7', o10(source='1.1.9.0'), 'invalid', 'message=204')
add('pcd10_bad_stop_without_volume.hl7',
    o10(event='0^MDC_EVT_PUMP_DELIV_STOP^MDC', delivery='pump-delivery-status-not-delivering',
        extra=STOPPED[1:]), 'invalid', 'message=101')
add('pcd10_bad_start_without_active_sources.hl7', o10(drop='MDC_DEV_PUMP_ACTIVE_SOURCES'),
    'invalid', 'message=101')
add('pcd10_bad_as_pcd01.hl7', o10(), 'invalid', 'MSH-9=200', profile='pcd-01')

# ---------------------------------------------------------------- PCD-04 ORU^R40
O4 = '1.3.6.1.4.1.19376.1.6.1.4.1'


def o4(obr29='', rows=None, second=False, obr3='IND0001^OPENINFUSION^0012210000000001^EUI-64'):
    m = msh('ORU^R40^ORU_R40', O4, app='NE')
    b = {1: '1', 3: obr3, 4: '196616^MDC_EVT_ALARM^MDC', 7: '20260301102000+0100'}
    if obr29:
        b[29] = '^' + obr29
    segs = [m, seg('PID', {3: 'MRN4711^^^HOSP^MR', 5: 'Doe^Jane'}), seg('PV1', {2: 'I', 3: 'ICU^12^1'}),
            seg('OBR', {k: v for k, v in b.items() if v})]
    if rows is None:
        rows = [
            {3: '196616^MDC_EVT_ALARM^MDC', 4: '1.0.0.0.1', 2: 'CWE',
             5: '196940^MDC_EVT_FLUID_LINE_OCCL^MDC^^^^^^Occlusion', 14: '20260301101958+0100',
             18: '0012210000000002^^0012210000000002^EUI-64'},
            {3: '68480^MDC_ATTR_ALERT_SOURCE^MDC', 4: '1.0.0.0.2', 2: 'CWE', 5: '69985^MDC_DEV_PUMP_INFUS_MDS^MDC'},
            {3: '68481^MDC_ATTR_EVENT_PHASE^MDC', 4: '1.0.0.0.3', 2: 'ST', 5: 'start'},
            {3: '68482^MDC_ATTR_ALARM_STATE^MDC', 4: '1.0.0.0.4', 2: 'ST', 5: 'active'},
            {3: '68483^MDC_ATTR_ALARM_INACTIVATION_STATE^MDC', 4: '1.0.0.0.5', 2: 'ST', 5: 'enabled'},
            {3: '68484^MDC_ATTR_ALARM_PRIORITY^MDC', 4: '1.0.0.0.6', 2: 'ST', 5: 'PH'},
            {3: '68485^MDC_ATTR_ALERT_TYPE^MDC', 4: '1.0.0.0.7', 2: 'ST', 5: 'ST'},
        ]
    for i, r in enumerate(rows, 1):
        f = dict(r)
        f[1] = str(i)
        f[11] = 'F'
        segs.append(seg('OBX', f))
    if second:
        segs += [seg('OBR', {1: '2', 3: 'IND0002', 4: '196616^MDC_EVT_ALARM^MDC', 7: '20260301102000+0100'})]
        segs += segs[4:6]
    return segs


BASE4 = o4()
ROWS4 = [
    {3: '196616^MDC_EVT_ALARM^MDC', 4: '1.0.0.0.1', 2: 'CWE',
     5: '196940^MDC_EVT_FLUID_LINE_OCCL^MDC^^^^^^Occlusion', 14: '20260301101958+0100',
     18: '0012210000000002^^0012210000000002^EUI-64'},
    {3: '68480^MDC_ATTR_ALERT_SOURCE^MDC', 4: '1.0.0.0.2', 2: 'CWE', 5: '69985^MDC_DEV_PUMP_INFUS_MDS^MDC'},
    {3: '68481^MDC_ATTR_EVENT_PHASE^MDC', 4: '1.0.0.0.3', 2: 'ST', 5: 'start'},
    {3: '68482^MDC_ATTR_ALARM_STATE^MDC', 4: '1.0.0.0.4', 2: 'ST', 5: 'active'},
    {3: '68483^MDC_ATTR_ALARM_INACTIVATION_STATE^MDC', 4: '1.0.0.0.5', 2: 'ST', 5: 'enabled'},
    {3: '68484^MDC_ATTR_ALARM_PRIORITY^MDC', 4: '1.0.0.0.6', 2: 'ST', 5: 'PH'},
    {3: '68485^MDC_ATTR_ALERT_TYPE^MDC', 4: '1.0.0.0.7', 2: 'ST', 5: 'ST'},
]


def rows4(**changes):
    rows = [dict(r) for r in ROWS4]
    for k, v in changes.items():
        idx = int(k[1:])
        if v is None:
            rows[idx] = None
        else:
            rows[idx].update(v)
    return [r for r in rows if r is not None]


add('pcd04_ok_occlusion_start.hl7', o4(), 'ok')
add('pcd04_ok_occlusion_end.hl7', o4(obr29='IND0001', obr3='IND0009',
                                     rows=rows4(r2={5: 'end'}, r3={5: 'inactive'})), 'ok')
add('pcd04_ok_legacy_obx8.hl7', o4(rows=rows4(r0={8: 'PH~ST'}, r5=None, r6=None)), 'ok')
add('pcd04_ok_unknown_event.hl7', o4(rows=rows4(r0={5: '0^MDC_EVT_FLUID_LINE_AIR^MDC^^^^^^Air in line'})), 'ok')
add('pcd04_ok_inactivation_repeats.hl7', o4(rows=rows4(r4={5: 'audio-paused~alert-acknowledged'})), 'ok')
add('pcd04_bad_two_alerts.hl7', o4(second=True), 'invalid', 'OBR=100')
add('pcd04_bad_no_obr3.hl7', o4(obr3=''), 'invalid', 'OBR-3=101')
add('pcd04_bad_no_phase.hl7', o4(rows=rows4(r2=None)), 'invalid', 'message=101')
add('pcd04_bad_no_state.hl7', o4(rows=rows4(r3=None)), 'invalid', 'message=101')
add('pcd04_bad_phase_unknown.hl7', o4(rows=rows4(r2={5: 'begun'})), 'invalid', 'OBX-5=103')
add('pcd04_bad_duplicate_obx4.hl7', o4(rows=rows4(r6={4: '1.0.0.0.6'})), 'invalid', 'OBX-4=205')
add('pcd04_bad_no_alert_obr.hl7', [msh('ORU^R40^ORU_R40', O4, app='NE'),
                                   seg('OBR', {1: '1', 3: 'X1', 4: '12345^OTHER^MDC', 7: '20260301102000+0100'})],
    'invalid', 'message=100')

# ---------------------------------------------------------------- PCD-05 ORA^R41
O5 = '1.3.6.1.4.1.19376.1.6.1.5.1'


def o5(type_='ORA^R41^ORA_R41', obr3='IND0001^AM^0012210000000009^EUI-64', with_obr=True, status='accepted'):
    m = msh(type_, O5, app='NE')
    segs = [m, seg('PID', {3: 'MRN4711^^^HOSP^MR', 5: 'Doe^Jane'}), seg('PV1', {2: 'I', 3: 'ICU^12^1'})]
    if with_obr:
        segs.append(seg('OBR', {k: v for k, v in {1: '1', 3: obr3, 4: '196616^MDC_EVT_ALARM^MDC',
                                                  7: '20260301102005+0100', 29: '^IND0001'}.items() if v}))
    segs.append(seg('PRT', {2: 'AD', 4: 'AAP^Alert Acknowledging Provider', 5: 'RN42^Nurse^Nancy',
                            15: '^^^^^^5551234'}))
    segs.append(seg('OBX', {1: '1', 2: 'ST', 3: '0^MDCX_ALERT_DISSEMINATION_STATUS^MDC', 4: '1.0.0.0.1',
                            5: status, 11: 'F'}))
    return segs


add('pcd05_ok_accepted.hl7', o5(), 'ok')
add('pcd05_ok_oru_spelling.hl7', o5(type_='ORU^R41^ORU_R41', status='undeliverable'), 'ok')
add('pcd05_bad_no_obr.hl7', o5(with_obr=False), 'invalid', 'message=100')
add('pcd05_bad_no_obr3.hl7', o5(obr3=''), 'invalid', 'OBR-3=101')

# ---------------------------------------------------------------- ACK^O15 / RRG^O16
OR = '1.3.6.1.4.1.19376.1.6.1.3.2'


def ack(code='CA', acked='MSG0001', errs=(), type_='ACK^O15^ACK', oid=None, accept='', app='',
        tail=()):
    m = msh(type_, oid, accept=accept, app=app, ctrl='ACK0001')
    segs = [m, seg('MSA', {1: code, 2: acked}) if acked or code else 'MSA']
    segs += list(errs)
    segs += list(tail)
    return segs


add('ack_o15_ok_ca.hl7', ack(), 'ok')
add('ack_o15_ok_ce_with_err.hl7',
    ack(code='CE', errs=[seg('ERR', {2: 'ORC^4^2', 3: '101^Required field missing^HL70357', 4: 'E',
                                     8: 'ORC-2 is empty'})]), 'ok')
add('ack_o15_ok_original_mode_aa.hl7', ack(code='AA', type_='ACK^R01^ACK'), 'ok')
add('ack_bad_msa2_empty.hl7', ack(acked=''), 'invalid', 'MSA-2=101')
add('ack_bad_msa1_unknown.hl7', ack(code='XX'), 'invalid', 'MSA-1=103')
add('ack_bad_err3_empty.hl7', ack(code='CE', errs=[seg('ERR', {4: 'E'})]), 'invalid', 'ERR-3=101')
add('ack_bad_err3_not_0357.hl7', ack(code='CE', errs=[seg('ERR', {3: '999', 4: 'E'})]), 'invalid',
    'ERR-3=103')
add('ack_bad_err4_unknown.hl7', ack(code='CE', errs=[seg('ERR', {3: '101', 4: 'X'})]), 'invalid',
    'ERR-4=103')
add('ack_bad_no_msa.hl7', [msh('ACK^O15^ACK', None, accept='', app='', ctrl='ACK0001')], 'invalid',
    'message=100')
add('rrg_o16_ok_ar_9010.hl7',
    ack(code='AR', acked='102', type_='RRG^O16^RRG_O16', oid=OR, accept='AL', app='NE',
        errs=[seg('ERR', {3: '207^ Application internal error', 4: 'F',
                          5: '9010^Unable to match medication to drug library'})]), 'ok')
add('rrg_o16_ok_aa_with_orc.hl7',
    ack(code='AA', type_='RRG^O16^RRG_O16', oid=OR, accept='AL', app='NE',
        tail=[seg('PID', {3: 'MRN4711'}), seg('ORC', {1: 'OK', 2: 'PLC1001'})]), 'ok')
add('rrg_o16_bad_ca_code.hl7', ack(code='CA', type_='RRG^O16^RRG_O16', oid=OR, accept='AL', app='NE'),
    'invalid', 'MSA-1=103')
add('rrg_o16_bad_orc2_empty.hl7',
    ack(code='AA', type_='RRG^O16^RRG_O16', oid=OR, accept='AL', app='NE', tail=[seg('ORC', {1: 'OK'})]),
    'invalid', 'ORC-2=101')

# ---------------------------------------------------------------- the shared public samples
SHARED = [
    ('shared:pcd01_ihetf_philips_physio_monitor.hl7', 'auto', 'invalid', ['OBR-7=102', 'OBX-14=102']),
    ('shared:pcd03_ihetf_ex2_ack_o15_CA_msa2_empty.hl7', 'auto', 'invalid', ['MSA-2=101']),
    ('shared:pcd03_ihetf_ex2_saline_rgv_o15.hl7', 'auto', 'invalid', ['ORC-9=9003']),
    ('shared:pcd04_ihetf_pump_occlusion_start.joined.hl7', 'auto', 'ok', []),
    ('shared:pcd10_ihetf_ipec_delivery_start.hl7', 'auto', 'ok', []),
    ('shared:robust_fuzz_nhapi_hang1.hl7', 'auto', 'malformed', []),
    ('shared:robust_hapi_adt_a03_repetitions.hl7', 'auto', 'unusable', ['MSH-9=200']),
]

for f in os.listdir(HERE):
    if f.endswith('.hl7'):
        os.remove(os.path.join(HERE, f))
lines = ['# FILE PROFILE RESULT [WHERE=CODE ...]  (written by make_fixtures.py)']
names = set()
for name, text, profile, result, expects in out:
    assert name not in names, name
    names.add(name)
    with open(os.path.join(HERE, name), 'w', newline='') as fh:
        fh.write(text)
    lines.append(' '.join([name, profile, result] + expects))
for name, profile, result, expects in SHARED:
    lines.append(' '.join([name, profile, result] + expects))
with open(os.path.join(HERE, 'expect.txt'), 'w') as fh:
    fh.write('\n'.join(lines) + '\n')
print(len(out), 'fixtures')

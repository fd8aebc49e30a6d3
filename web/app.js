// Nurse station: a live grid of pumps and a list of active alarms, from infusiond's HTTP API
// (docs/http-api.md). No framework and no build step: the page loads /api/v1/pumps and
// /api/v1/alarms, then follows /api/v1/stream (server-sent events) and updates in place.
// Everything the server sends is shown with textContent, never parsed as HTML.
'use strict';

(function () {
  const params = new URLSearchParams(window.location.search);
  const unitFilter = params.get('unit'); // a care area, e.g. ADULT_ICU; null: every pump
  const RECONNECT_MS = 3000;

  // pump_id -> pump object as the API returns it (model_pump_json)
  const pumps = new Map();
  let source = null;
  let reconnectTimer = null;

  const $ = (sel) => document.querySelector(sel);
  const grid = $('[data-testid="pump-grid"]');
  const alarmList = $('[data-testid="alarm-list"]');
  const conn = $('[data-testid="connection"]');
  const message = $('[data-testid="message"]');
  const userInput = $('[data-testid="user"]');

  const ALARM_WORDS = {
    occlusion_downstream: 'Downstream occlusion',
    occlusion_upstream: 'Upstream occlusion',
    air_in_line: 'Air in line',
    air_accumulated: 'Accumulated air',
    vtbi_near_end: 'Infusion near end',
    vtbi_complete: 'Infusion complete',
    container_empty: 'Container empty',
    battery_low: 'Battery low',
    battery_depleted: 'Battery depleted',
    door_open: 'Door open',
    paused_too_long: 'Paused too long',
    secondary_callback: 'Secondary infusion done',
    motor_stall: 'Motor stall',
    watchdog: 'Watchdog',
    log_full: 'Event log full',
    restart: 'Restarted after power loss',
    fault: 'Pump fault',
  };
  const STATE_WORDS = {
    idle: 'Idle', programmed: 'Programmed', ready: 'Ready', running: 'Running',
    paused: 'Paused', bolus: 'Bolus', kvo: 'KVO', complete: 'Complete',
    alarm_stopped: 'Alarm stop', fault: 'Fault',
  };
  // Colour group of a channel state (style.css): running green, programmed/ready blue,
  // paused/idle grey, alarm_stopped/fault red, kvo/complete amber.
  const STATE_COLOUR = {
    running: 'green', bolus: 'green', programmed: 'blue', ready: 'blue', paused: 'grey',
    idle: 'grey', alarm_stopped: 'red', fault: 'red', kvo: 'amber', complete: 'amber',
  };
  // Which channel state a multi-channel tile shows: the one that needs a nurse most.
  const STATE_WEIGHT = {
    fault: 9, alarm_stopped: 8, complete: 7, kvo: 6, bolus: 5, running: 4, paused: 3,
    ready: 2, programmed: 1, idle: 0,
  };
  const PRIORITY_RANK = { high: 3, medium: 2, low: 1 };

  // ---- formatting ----------------------------------------------------------------------------

  const pad2 = (n) => String(n).padStart(2, '0');
  function clockText(ms) {
    const d = new Date(ms);
    return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
  }
  // nL (or nL/h) as mL with at most 2 decimals, in integer arithmetic (no 12.600000001).
  function millilitres(nl) {
    if (typeof nl !== 'number') return null;
    const centi = Math.round(nl / 10000);
    const whole = Math.trunc(centi / 100);
    const frac = Math.abs(centi % 100);
    if (frac === 0) return String(whole);
    return whole + '.' + (frac % 10 === 0 ? String(frac / 10) : pad2(frac));
  }
  function hoursMinutes(ms) {
    if (typeof ms !== 'number' || ms < 0) return '–';
    const minutes = Math.ceil(ms / 60000);
    return Math.floor(minutes / 60) + ':' + pad2(minutes % 60);
  }
  function alarmWords(name) {
    if (ALARM_WORDS[name]) return ALARM_WORDS[name];
    const words = String(name).replace(/_/g, ' ');
    return words.charAt(0).toUpperCase() + words.slice(1);
  }
  function setField(root, field, text) {
    const el = root.querySelector('[data-field="' + field + '"]');
    const value = text === null || text === undefined || text === '' ? '–' : String(text);
    if (el && el.textContent !== value) el.textContent = value;
  }
  function showMessage(text, isError) {
    message.textContent = text;
    message.hidden = !text;
    message.classList.toggle('error', Boolean(isError));
  }

  // ---- pumps ---------------------------------------------------------------------------------

  function channelsOf(pump) {
    const ch = pump.state && Array.isArray(pump.state.channels) ? pump.state.channels : [];
    return ch.length > 0 ? ch : [{ channel: 0, state: 'idle' }];
  }
  function tileState(pump) {
    let best = null;
    for (const ch of channelsOf(pump)) {
      const w = STATE_WEIGHT[ch.state] !== undefined ? STATE_WEIGHT[ch.state] : -1;
      if (best === null || w > best.w) best = { w, state: ch.state };
    }
    return best ? best.state : 'idle';
  }
  function patientText(pump) {
    const p = pump.state && pump.state.patient;
    if (p && p.id) return p.id + (p.weight_kg ? ' · ' + p.weight_kg + ' kg' : '');
    return pump.patient_id || 'Not associated';
  }
  function visible(pump) {
    return !unitFilter || pump.care_area === unitFilter;
  }

  function renderChannel(el, ch) {
    el.dataset.channel = String(ch.channel);
    el.dataset.state = ch.state || 'idle';
    el.dataset.colour = STATE_COLOUR[ch.state] || 'grey';
    setField(el, 'drug', ch.drug_name || (ch.mode ? 'Basic infusion' : 'No program'));
    setField(el, 'dose', ch.dose ? ch.dose + ' ' + (ch.dose_unit || '') : null);
    const rate = millilitres(ch.rate_nl_per_h);
    setField(el, 'rate', rate === null ? null : rate + ' mL/h');
    const left = millilitres(ch.vtbi_remaining_nl);
    setField(el, 'vtbi_left', left === null ? null : left + ' mL');
    setField(el, 'time_left', hoursMinutes(ch.time_remaining_ms));
  }

  function renderTile(pump) {
    let tile = grid.querySelector('[data-pump-id="' + CSS.escape(pump.pump_id) + '"]');
    if (!visible(pump)) {
      if (tile) tile.remove();
      return;
    }
    if (!tile) {
      tile = $('#tile-template').content.firstElementChild.cloneNode(true);
      tile.dataset.pumpId = pump.pump_id;
      // keep the grid in pump id order, as the API lists pumps
      const after = Array.from(grid.children).find((t) => t.dataset.pumpId > pump.pump_id);
      grid.insertBefore(tile, after || null);
    }
    const state = tileState(pump);
    tile.dataset.state = state;
    tile.dataset.colour = STATE_COLOUR[state] || 'grey';
    tile.dataset.online = pump.online ? 'true' : 'false';
    tile.dataset.alarming = pump.alarms && pump.alarms.some((a) => !a.acked) ? 'true' : 'false';
    setField(tile, 'pump_id', pump.pump_id);
    setField(tile, 'state', (STATE_WORDS[state] || state) + (pump.online ? '' : ' · offline'));
    setField(tile, 'patient', patientText(pump));
    const box = tile.querySelector('.channels');
    const channels = channelsOf(pump);
    while (box.children.length > channels.length) box.lastElementChild.remove();
    channels.forEach((ch, i) => {
      let el = box.children[i];
      if (!el) {
        el = $('#channel-template').content.firstElementChild.cloneNode(true);
        box.appendChild(el);
      }
      renderChannel(el, ch);
    });
  }

  function renderCounts() {
    const shown = grid.children.length;
    $('[data-testid="pump-count"]').textContent = String(shown);
    $('[data-testid="no-pumps"]').hidden = shown > 0;
  }

  // ---- alarms --------------------------------------------------------------------------------

  function allAlarms() {
    const list = [];
    for (const pump of pumps.values()) {
      if (!visible(pump)) continue;
      for (const a of pump.alarms || []) list.push(a);
    }
    list.sort((x, y) => (PRIORITY_RANK[y.priority] || 0) - (PRIORITY_RANK[x.priority] || 0) ||
      x.raised_wall_ms - y.raised_wall_ms || (x.alarm_id < y.alarm_id ? -1 : 1));
    return list;
  }

  function renderAlarm(el, a) {
    el.dataset.alarmId = a.alarm_id;
    el.dataset.pumpId = a.pump_id;
    el.dataset.priority = a.priority;
    el.dataset.acked = a.acked ? 'true' : 'false';
    setField(el, 'priority', a.priority);
    setField(el, 'name', alarmWords(a.alarm) + (a.silenced ? ' (silenced at pump)' : ''));
    setField(el, 'pump', a.pump_id + (a.channel ? ' ch ' + a.channel : ''));
    setField(el, 'patient', a.patient_id || 'no patient');
    setField(el, 'time', clockText(a.raised_wall_ms));
    el.querySelector('[data-field="acked"]').textContent =
      a.acked ? 'Acknowledged by ' + a.acked_by + ' ' + clockText(a.acked_ms) : '';
    const button = el.querySelector('[data-testid="ack"]');
    button.hidden = Boolean(a.acked);
  }

  function renderAlarms() {
    const list = allAlarms();
    const existing = new Map();
    for (const el of Array.from(alarmList.children)) existing.set(el.dataset.alarmId, el);
    list.forEach((a, i) => {
      let el = existing.get(a.alarm_id);
      existing.delete(a.alarm_id);
      if (!el) {
        el = $('#alarm-template').content.firstElementChild.cloneNode(true);
        el.querySelector('[data-testid="ack"]').addEventListener('click', () => acknowledge(el));
      }
      renderAlarm(el, a);
      if (alarmList.children[i] !== el) alarmList.insertBefore(el, alarmList.children[i] || null);
    });
    for (const el of existing.values()) el.remove();
    const open = list.filter((a) => !a.acked).length;
    $('[data-testid="alarm-count"]').textContent = String(open);
    $('[data-testid="no-alarms"]').hidden = list.length > 0;
    document.title = (open > 0 ? '(' + open + ') ' : '') + 'Nurse station - OpenInfusion';
  }

  function upsertAlarm(a, step) {
    const pump = pumps.get(a.pump_id);
    if (!pump) return;
    const rest = (pump.alarms || []).filter((x) => x.raised_seq !== a.raised_seq);
    pump.alarms = step === 'cleared' ? rest : rest.concat([a]);
  }

  function currentUser() {
    const user = userInput.value.trim();
    return user || 'nurse';
  }

  async function acknowledge(el) {
    const [pumpId, seq] = [el.dataset.pumpId, el.dataset.alarmId.split('/').pop()];
    const button = el.querySelector('[data-testid="ack"]');
    button.disabled = true;
    try {
      const res = await fetch('/api/v1/alarms/' + encodeURIComponent(pumpId) + '/' + seq + '/ack', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: currentUser() }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) {
        showMessage('Acknowledge failed: ' + (body.error || res.status), true);
      } else {
        showMessage('', false);
        upsertAlarm(body, 'acked');
        renderAlarms();
      }
    } catch (err) {
      showMessage('Acknowledge failed: the server cannot be reached', true);
    } finally {
      button.disabled = false;
    }
  }

  // ---- data flow -----------------------------------------------------------------------------

  function setPumps(list) {
    pumps.clear();
    for (const p of list) pumps.set(p.pump_id, p);
    for (const tile of Array.from(grid.children)) {
      if (!pumps.has(tile.dataset.pumpId)) tile.remove();
    }
    for (const p of list) renderTile(p);
    renderCounts();
    renderAlarms();
  }

  function setConnection(state) {
    conn.dataset.state = state;
    conn.textContent = state === 'live' ? 'live' : state === 'connecting' ? 'connecting…' : 'offline';
    document.body.classList.toggle('stale', state !== 'live');
  }

  function onStreamEvent(kind, data) {
    if (kind === 'snapshot') {
      setPumps(data.pumps || []);
    } else if (kind === 'pump') {
      pumps.set(data.pump_id, data);
      renderTile(data);
      renderCounts();
      renderAlarms();
    } else if (kind === 'alarm') {
      upsertAlarm(data.alarm, data.step);
      renderAlarms();
      const pump = pumps.get(data.alarm.pump_id);
      if (pump) renderTile(pump);
    }
  }

  function connect() {
    if (reconnectTimer !== null) {
      clearTimeout(reconnectTimer);
      reconnectTimer = null;
    }
    if (source) source.close();
    setConnection('connecting');
    source = new EventSource('/api/v1/stream');
    source.onopen = () => setConnection('live');
    source.onerror = () => {
      // EventSource retries by itself after a dropped connection; when it gives up (CLOSED),
      // start over, which also brings a fresh snapshot.
      setConnection('offline');
      if (source.readyState === EventSource.CLOSED && reconnectTimer === null) {
        reconnectTimer = setTimeout(connect, RECONNECT_MS);
      }
    };
    for (const kind of ['snapshot', 'pump', 'alarm']) {
      source.addEventListener(kind, (ev) => {
        let data;
        try {
          data = JSON.parse(ev.data);
        } catch (err) {
          return; // never seen from infusiond; ignore rather than break the page
        }
        onStreamEvent(kind, data);
      });
    }
  }

  async function loadInitial() {
    try {
      const [pr, ar] = await Promise.all([fetch('/api/v1/pumps'), fetch('/api/v1/alarms')]);
      if (pr.ok && ar.ok) {
        const list = await pr.json();
        const alarms = await ar.json();
        // The alarm list is the authority for alarms; the pump objects carry the same ones.
        const byPump = new Map();
        for (const a of alarms) {
          if (!byPump.has(a.pump_id)) byPump.set(a.pump_id, []);
          byPump.get(a.pump_id).push(a);
        }
        for (const p of list) p.alarms = byPump.get(p.pump_id) || [];
        setPumps(list);
      }
    } catch (err) {
      setConnection('offline');
    }
  }

  function tickClock() {
    $('[data-testid="clock"]').textContent = clockText(Date.now());
  }

  // ---- start ---------------------------------------------------------------------------------

  if (params.get('wall') === '1') document.body.classList.add('wall');
  if (unitFilter) $('[data-testid="unit"]').textContent = unitFilter;
  userInput.value = window.localStorage.getItem('oi.user') || 'nurse';
  userInput.addEventListener('change', () => {
    window.localStorage.setItem('oi.user', currentUser());
  });
  tickClock();
  setInterval(tickClock, 1000);
  renderCounts();
  renderAlarms();
  loadInitial().then(connect);
})();

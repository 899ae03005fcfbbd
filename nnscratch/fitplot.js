// FitPlot's browser half: sliders, buttons and a canvas (see nbs/00c_fitplot.ipynb). Plain ES module, no import, so
// it needs no network. Python is the source of truth: it sends the curve, the loss and the gradient for the sliders'
// values. For the curve families and losses below the browser can compute the curve itself too, and draws it at once
// on every slider move; Python's picture replaces it when it arrives. On a page without a kernel (`renderStatic`) the
// browser computes everything, the gradient included, and takes the gradient-descent steps itself.

// The curves and losses the browser knows, under the names their Python functions carry as `twin`
// (nnscratch.fitting.quad, nnscratch.relu.sum_relus, nnscratch.fitting.mae)
export const TWINS = {
  quad: (p, x) => p[0] * (x * x) + p[1] * x + p[2],  // in torch's order: a * x**2 + b * x + c
  relus: (p, x) => { let s = 0; for (let i = 0; i < p.length; i += 2) s += Math.max(p[i] * x + p[i + 1], 0); return s; },
};
export const LOSSES = {
  mae: (preds, ys) => preds.reduce((s, v, i) => s + Math.abs(v - ys[i]), 0) / ys.length,
};
export const curveOf = (family, params, xs) => xs.map(x => TWINS[family](params, x));

// Their gradients, by hand: d curve(x) / d params, and d loss / d each prediction. At a kink, the subgradient that
// PyTorch's autograd takes: a ReLU's slope is 0 at exactly 0 (torch.clip), and |v|'s is sign(0) = 0 at v = 0.
export const TWIN_GRADS = {
  quad: (p, x) => [x * x, x, 1],
  relus: (p, x) => {  // (x, 1) for each ReLU where it is active, (0, 0) elsewhere
    const g = [];
    for (let i = 0; i < p.length; i += 2) { const on = p[i] * x + p[i + 1] > 0 ? 1 : 0; g.push(on * x, on); }
    return g;
  },
};
export const LOSS_GRADS = {
  mae: (preds, ys) => preds.map((v, i) => Math.sign(v - ys[i]) / ys.length),
};
// The loss of the curve on the data x, y, and its gradient with respect to each parameter (the chain rule)
export function lossGrads(family, lossTwin, params, x, y) {
  const preds = curveOf(family, params, x), dpreds = LOSS_GRADS[lossTwin](preds, y), grads = params.map(() => 0);
  x.forEach((xi, i) => TWIN_GRADS[family](params, xi).forEach((d, j) => { grads[j] += dpreds[i] * d; }));
  return { loss: LOSSES[lossTwin](preds, y), grads };
}

// Python's str(v) of a float and, with `g`, format(v, 'g'): so that the browser's messages read as Python's
export function pyFloat(v, g = false) {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const [m, e] = (g ? v.toExponential(5) : v.toExponential()).split('e'), x = +e;
  const trim = t => t.includes('.') ? t.replace(/\.?0+$/, '') : t, e2 = String(Math.abs(x)).padStart(2, '0');
  if (x < -4 || x >= (g ? 6 : 16)) return `${g ? trim(m) : m}e${x < 0 ? '-' : '+'}${e2}`;
  if (g) return trim(v.toFixed(5 - x));
  const t = String(v); return t.includes('.') ? t : t + '.0';
}
const fmt = v => (v !== 0 && (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3)) ? v.toExponential(2) : String(+v.toPrecision(4));
const NOT_ANSWERING_MS = 1000;
const SAY_MS = 300;  // the canvas's description and the spoken loss change at most about 3 times a second  // no reply from the kernel for this long: say so (and keep drawing)

function ticks(lo, hi, n) {  // about n round numbers between lo and hi
  const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw))), r = raw / mag;
  const step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag, out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * (hi - lo); t += step) out.push(+t.toFixed(12));
  return out;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// A slider moves by its own steps on these keys, the same way in every front end and browser: the slider handles
// them itself rather than leave them to the browser, whose default a notebook front end may have cancelled.
const KEY_STEPS = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 };
function sliderKey(e) {
  const input = e.currentTarget, before = input.value;
  if (e.ctrlKey || e.altKey || e.metaKey) return;
  if (e.key in KEY_STEPS) { const n = KEY_STEPS[e.key]; if (n > 0) input.stepUp(n); else input.stepDown(-n); }
  else if (e.key === 'Home') input.value = input.min;
  else if (e.key === 'End') input.value = input.max;
  else return;
  e.preventDefault();  // no second move by the browser
  if (input.value !== before) for (const t of ['input', 'change']) input.dispatchEvent(new Event(t, { bubbles: true }));
}

function render({ model, el: host }) {
  const W = 440, H = 270, M = { l: 40, r: 10, t: 26, b: 24 };
  const root = el('div', 'nns-fitplot'), canvas = el('canvas'), side = el('div', 'nns-side');
  const dpr = window.devicePixelRatio || 1;
  canvas.width = W * dpr; canvas.height = H * dpr;
  canvas.style.width = W + 'px';  // its height follows (fitplot.css), also where a narrow screen shrinks it
  const names = model.get('names'), rows = {};
  // At most one update in flight to the kernel; while it is, only the newest slider values wait (`pending`), so a
  // fast drag never queues up a backlog of stale requests.
  let inflight = false, pending = false, sentAt = 0, running = 0, drawn = 0, answerTimer = null;
  const family = model.get('twin'), lossTwin = model.get('loss_twin');
  const instant = () => model.get('instant') && family in TWINS && lossTwin in LOSSES;

  function sliderValues() { return names.map(n => parseFloat(rows[n].input.value)); }
  function send() {  // ask Python for the curve at the sliders' values
    inflight = true; pending = false; sentAt = performance.now();
    const vals = {}, p = sliderValues();
    names.forEach((n, i) => { vals[n] = p[i]; });
    model.set('values', vals); model.save_changes();
    clearTimeout(answerTimer);
    answerTimer = setTimeout(() => { if (inflight) { msg.textContent = 'The kernel is not answering: the curve is drawn ' +
      'by the browser; the loss and the gradient will follow when it answers.'; root.dataset.confirmed = '0'; } },
      NOT_ANSWERING_MS);
  }
  function browserDraw() {  // the curve and loss for the sliders' values, computed here
    const p = sliderValues(), ys = curveOf(family, p, model.get('xs'));
    const loss = LOSSES[lossTwin](model.get('x').map(x => TWINS[family](p, x)), model.get('y'));
    show(ys, loss, 'browser');
  }
  for (const n of names) {
    const row = el('div', 'nns-row'), input = el('input'), out = el('span', 'nns-val'), arrow = el('span', 'nns-arrow');
    input.type = 'range'; input.setAttribute('aria-label', `parameter ${n}`);
    input.addEventListener('keydown', sliderKey);
    input.addEventListener('input', () => {
      out.textContent = fmt(+input.value); running = 0; root.dataset.confirmed = '0';
      if (instant()) browserDraw();
      if (inflight && performance.now() - sentAt < 3 * NOT_ANSWERING_MS) pending = true; else send();
    });
    if (!model.get('descent')) arrow.style.display = 'none';
    row.append(el('span', 'nns-name', n), input, out, arrow);
    side.append(row); rows[n] = { input, out, arrow };
  }
  const lrRow = el('div', 'nns-row'), lr = el('input', 'nns-lr');
  lr.type = 'number'; lr.step = 'any'; lr.min = '0'; lr.setAttribute('aria-label', 'learning rate (lr)');
  lr.addEventListener('change', () => { const v = parseFloat(lr.value); if (v > 0) { model.set('lr', v); model.save_changes(); } });
  lrRow.append(el('span', 'nns-name', 'lr'), lr);
  const btns = el('div', 'nns-row'), stepB = el('button', 'nns-step', 'Step'), runB = el('button', 'nns-run', 'Run');
  stepB.addEventListener('click', () => { running = 0; model.send({ op: 'step' }); });
  runB.addEventListener('click', () => {
    if (running > 0) { running = 0; } else { running = model.get('run_steps'); model.send({ op: 'step' }); }
    runB.textContent = running > 0 ? 'Stop' : 'Run';
  });
  stepB.setAttribute('aria-label', 'Step: one step of gradient descent');
  runB.setAttribute('aria-label', 'Run or stop gradient descent');
  btns.append(stepB, runB);
  if (!model.get('descent')) lrRow.style.display = btns.style.display = 'none';  // sliders only: no gradient shown
  const lossEl = el('div', 'nns-loss'), msg = el('div', 'nns-msg'), live = el('div', 'nns-live');
  // for a screen reader: the canvas is a picture with a description, and the loss is said, politely, when it settles
  canvas.setAttribute('role', 'img');
  live.setAttribute('aria-live', 'polite'); msg.setAttribute('aria-live', 'polite');
  side.append(lrRow, btns, lossEl, msg, live);
  root.append(canvas, side);
  // Keys typed here are for the widget, not for the notebook, whose command mode binds the arrow keys (and more) to
  // whatever element has the focus. JupyterLab looks for its shortcuts as a key press bubbles up to the page, so
  // stopping the press at the root is enough there. Notebook 7 looks on the way down (capture phase), before the
  // slider sees the key, and cancels it. Both leave alone an element marked data-lm-suppress-shortcuts, checking from
  // the focused element upwards; but the command-mode shortcuts match the focused element itself, before a mark on
  // one of its parents is reached: so each control carries the mark itself.
  for (const e of [root, ...root.querySelectorAll('input, button')]) e.setAttribute('data-lm-suppress-shortcuts', 'true');
  root.addEventListener('keydown', e => e.stopPropagation());

  function show(ys, loss, source) {  // draw points, curve and loss; `source` says who computed them
    const xd = model.get('x'), yd = model.get('y'), xs = model.get('xs');
    const [y0, y1] = model.get('ylim');
    const x0 = Math.min(...xs, ...xd), x1 = Math.max(...xs, ...xd);
    const px = x => M.l + (x - x0) / (x1 - x0) * (W - M.l - M.r), py = y => H - M.b - (y - y0) / (y1 - y0) * (H - M.t - M.b);
    const c = canvas.getContext('2d');
    c.setTransform(dpr, 0, 0, dpr, 0, 0); c.clearRect(0, 0, W, H);
    c.font = '11px sans-serif'; c.fillStyle = '#555'; c.strokeStyle = '#e4e4e4'; c.lineWidth = 1;
    c.textAlign = 'center';
    for (const t of ticks(x0, x1, 6)) {
      c.beginPath(); c.moveTo(px(t), M.t); c.lineTo(px(t), H - M.b); c.stroke(); c.fillText(fmt(t), px(t), H - 8);
    }
    c.textAlign = 'right';
    for (const t of ticks(y0, y1, 5)) {
      c.beginPath(); c.moveTo(M.l, py(t)); c.lineTo(W - M.r, py(t)); c.stroke(); c.fillText(fmt(t), M.l - 4, py(t) + 4);
    }
    c.save(); c.beginPath(); c.rect(M.l, M.t, W - M.l - M.r, H - M.t - M.b); c.clip();
    c.fillStyle = '#1f77b4';
    for (let i = 0; i < xd.length; i++) { c.beginPath(); c.arc(px(xd[i]), py(yd[i]), 3.5, 0, 2 * Math.PI); c.fill(); }
    c.strokeStyle = '#d62728'; c.lineWidth = 2; c.beginPath();
    ys.forEach((v, i) => i ? c.lineTo(px(xs[i]), py(v)) : c.moveTo(px(xs[i]), py(v))); c.stroke(); c.restore();
    c.fillStyle = '#222'; c.textAlign = 'center'; c.font = '13px sans-serif';
    const title = model.get('title'), name = model.get('loss_name');
    c.fillText(`${title ? title + ' · ' : ''}${name}: ${fmt(loss)}`, (M.l + W - M.r) / 2, 16);
    lossEl.textContent = `${name}: ${fmt(loss)}`; lossEl.dataset.loss = loss;
    root.dataset.source = source; root.dataset.drawn = ++drawn;
    describeSoon(loss);
  }

  // The canvas's description and the live loss follow the sliders at most SAY_MS apart (a drag would flood a
  // screen reader otherwise), and always end on the last state
  let sayTimer = null, sayLoss = NaN;
  function describe() {
    sayTimer = null;
    const p = sliderValues(), name = model.get('loss_name'), title = model.get('title');
    const curve = family === 'quad' ? `the parabola ${fmt(p[0])}x² + ${fmt(p[1])}x + ${fmt(p[2])}`
      : family === 'relus' ? `a sum of ${p.length / 2} ReLUs` : 'the curve';
    const text = `${title ? title + ': ' : ''}${model.get('x').length} data points and ${curve} (${names.map((n, i) =>
      `${n} = ${fmt(p[i])}`).join(', ')}); ${name} ${fmt(sayLoss)}`;
    canvas.setAttribute('aria-label', text);
    live.textContent = `${name} ${fmt(sayLoss)}`;
  }
  function describeSoon(loss) { sayLoss = loss; if (sayTimer === null) sayTimer = setTimeout(describe, SAY_MS); }

  function update() {  // everything on screen from the model's state (what Python sent)
    const vals = model.get('values'), ranges = model.get('ranges'), grads = model.get('grads');
    for (const n of names) {
      const { input, out, arrow } = rows[n], [lo, hi, st] = ranges[n], g = grads[n];
      input.min = lo; input.max = hi; input.step = st;
      if (!pending) { input.value = vals[n]; out.textContent = fmt(vals[n]); }  // never undo a move not yet sent
      arrow.textContent = g > 0 ? '◀' : g < 0 ? '▶' : '·';  // the way that lowers the loss is against the gradient
      arrow.title = g > 0 ? `lower ${n} to lower the loss` : g < 0 ? `raise ${n} to lower the loss` : 'flat here';
    }
    if (document.activeElement !== lr) lr.value = model.get('lr');
    msg.textContent = model.get('message');
    if (pending && instant()) browserDraw();  // Python answered for values the sliders have already left
    else show(model.get('curve'), model.get('loss'), 'python');
    root.dataset.frame = model.get('frame');
    root.dataset.received = model.get('received');
    root.dataset.confirmed = pending ? '0' : '1';
  }

  const onFrame = () => {
    inflight = false; clearTimeout(answerTimer);
    update();
    if (pending) send();
    else if (running > 0) {
      running = model.get('message') ? 0 : running - 1;
      if (running > 0) model.send({ op: 'step' });
    }
    runB.textContent = running > 0 ? 'Stop' : 'Run';
  };
  model.on('change:frame', onFrame);
  update();
  clearTimeout(sayTimer); describe();
  host.append(root);
  return () => { clearTimeout(answerTimer); clearTimeout(sayTimer); model.off('change:frame', onFrame); };
}

// On a page without a kernel (the docs site): the same widget over a stand-in model that computes with the twins,
// the gradient included, and takes the steps itself as Python's `FitPlot.step` does (each value -= lr × its gradient,
// the same message when the loss would stop being finite), one every STATIC_STEP_MS, so that a run can be watched.
// Without a twin for the curve or the loss there is nothing to compute, and the page keeps its still picture.
// Returns the stand-in model (false without twins).
const STATIC_STEP_MS = 40;
export function renderStatic(host, state) {
  const { twin: family, loss_twin: lossTwin, names } = state;
  if (!(family in TWINS && lossTwin in LOSSES)) return false;
  const st = { ...state, values: { ...state.values }, instant: false, descent: !!state.descent, message: '', grads: {},
               frame: 0, received: 0 };
  const subs = [], notify = () => { st.frame += 1; subs.forEach(f => f()); };
  const params = () => names.map(n => st.values[n]), named = vs => Object.fromEntries(names.map((n, i) => [n, vs[i]]));
  const at = p => lossGrads(family, lossTwin, p, st.x, st.y);
  const refresh = () => {  // Python's FitPlot._refresh: curve, loss, gradient and message at the values
    const p = params(), { loss, grads } = at(p);
    st.curve = curveOf(family, p, st.xs).map(v => Number.isNaN(v) ? 0 : Math.min(Math.max(v, -1e300), 1e300));
    st.grads = named(grads); st.loss = Number.isFinite(loss) ? loss : 1e300;
    st.message = Number.isFinite(loss) ? '' : `the loss is ${pyFloat(loss)} here: move the sliders back`;
    const wide = (n, i) => { const [lo, hi, s] = st.ranges[n]; return [Math.min(lo, p[i]), Math.max(hi, p[i]), s]; };
    st.ranges = named(names.map(wide));  // descent may leave a slider's range: widen it
  };
  const step = () => {  // Python's FitPlot.step and the handler of its button
    const p = params(), lr = st.lr, g = at(p).grads, next = p.map((v, i) => v - lr * g[i]), loss = at(next).loss;
    if (Number.isFinite(loss) && next.every(Number.isFinite)) { st.values = named(next); refresh(); }
    else st.message = `Stopped: the loss would become ${pyFloat(loss)} after this step with lr=${pyFloat(lr, true)}; ` +
                      'the learning rate is too large (try a smaller `lr`)';  // the sliders stay where they are
    notify();
  };
  let queued = 0;  // steps asked for and not taken yet: taken one by one, as a kernel would
  const later = () => setTimeout(() => { step(); if (--queued > 0) later(); }, STATIC_STEP_MS);
  const model = {
    get: k => st[k], set: (k, v) => { st[k] = v; }, off: () => {},
    save_changes: () => { refresh(); notify(); },
    send: m => { if (m.op === 'step' && queued++ === 0) later(); },
    on: (e, f) => { if (e === 'change:frame') subs.push(f); },
  };
  st.grads = named(at(params()).grads);  // the arrows at the start; the curve and the loss are Python's
  for (const img of host.querySelectorAll('img')) img.remove();
  render({ model, el: host });
  return model;
}

export default { render };

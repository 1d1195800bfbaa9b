/**
 * The HTML report's one script (our own code, no library), inlined in the page and allowed by
 * its sha256 in the page's CSP. On DOMContentLoaded (a page cut short fires it too) it parses
 * the rows once (`script.r` JSON elements), builds a table of the domains that is sortable
 * (click a header), filterable (level, pass, problem code, free text over the domain, the
 * input, the carried columns and the problem codes) and virtual (only the rows in view are in
 * the DOM), opens a row into its MX hosts, addresses, chain and problems with hints, says how
 * many rows an interrupted audit wrote, and builds a plain table for printing. Every value is
 * set through textContent / createTextNode: data never becomes markup. No network.
 *
 * Kept as text here (not compiled) so that its hash is that of exactly what the page holds.
 */

/**
 * The script's text (ES2020, no template literals inside).
 *
 * @example HTML_REPORT_SCRIPT.includes('textContent') // true
 */
export const HTML_REPORT_SCRIPT = String.raw`(function () {
'use strict';
var ROW_HEIGHT = 28, OVERSCAN = 8;
var LEVELS = { verify: 3, encrypt: 2, none: 1 };
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function passWord(p) { return p === true ? 'pass' : p === false ? 'fail' : 'undetermined'; }
// As the summary counts them: a level, or why there is none (no mail accepted, not a domain, unknown).
var NO_MAIL = { nxdomain: true, 'null-mx': true, 'no-mail-host': true };
function levelWord(r) { return r.level || (r.outcome === 'invalid-input' ? 'not a domain' : NO_MAIL[r.outcome] ? 'no mail' : 'unknown'); }
function start() {
  var rows = [];
  var nodes = document.querySelectorAll('script.r');
  for (var i = 0; i < nodes.length; i++) {
    try { rows.push(JSON.parse(nodes[i].textContent)); } catch (e) { /* a row cut short by an interrupted run */ }
  }
  var hints = {};
  var hintsNode = document.getElementById('hints');
  if (hintsNode) { try { hints = JSON.parse(hintsNode.textContent); } catch (e) { hints = {}; } }
  var complete = document.getElementById('audit-complete') !== null;
  // The summary is written last (it needs every row) and shown first: in the DOM too, for print.
  var top = document.getElementById('top');
  ['audit-complete', 'summary'].forEach(function (id) { var n = document.getElementById(id); if (n && top) top.parentNode.insertBefore(n, top.nextSibling); });
  var count = document.getElementById('interrupted-count');
  if (!complete && count) count.textContent = ': ' + rows.length + (rows.length === 1 ? ' row' : ' rows') + ' written';

  var columnNames = [], seenColumn = {}, codes = {};
  rows.forEach(function (r, i) {
    r._i = i;
    var words = [r.domain, r.input || '', r.required, r.outcome];
    if (r.columns) Object.keys(r.columns).forEach(function (k) {
      if (!Object.prototype.hasOwnProperty.call(seenColumn, k)) { seenColumn[k] = true; columnNames.push(k); }
      words.push(r.columns[k]);
    });
    r._codes = [];
    r.problems.forEach(function (p) { if (r._codes.indexOf(p[0]) < 0) r._codes.push(p[0]); codes[p[0]] = (codes[p[0]] || 0) + 1; });
    words.push(r._codes.join(' '));
    r._text = words.join('\n').toLowerCase();
  });
  columnNames = columnNames.slice(0, 4);

  var columns = [
    { key: 'domain', label: 'Domain', value: function (r) { return r.domain; } },
    { key: 'level', label: 'Level', value: function (r) { return levelWord(r); }, sort: function (r) { return LEVELS[r.level] || 0; } },
    { key: 'pass', label: 'Pass', value: function (r) { return passWord(r.pass); }, sort: function (r) { return r.pass === true ? 2 : r.pass === null ? 1 : 0; } },
    { key: 'required', label: 'Required', value: function (r) { return r.required; } },
    { key: 'satisfied', label: 'Policies', value: function (r) { return r.satisfied || '-'; } },
    { key: 'problems', label: 'Problems', value: function (r) { return r._codes.join(' '); }, sort: function (r) { return r.problems.length; } }
  ];
  columnNames.forEach(function (name) {
    columns.push({ key: 'c:' + name, label: name, value: function (r) { return (r.columns && Object.prototype.hasOwnProperty.call(r.columns, name)) ? r.columns[name] : ''; } });
  });
  columns.push({ key: 'line', label: 'Line', value: function (r) { return r.line === undefined ? '' : r.line; }, sort: function (r) { return r.line === undefined ? r._i : r.line; } });

  var app = document.getElementById('app');
  var controls = document.getElementById('controls');
  var q = document.getElementById('q'), fLevel = document.getElementById('f-level'), fPass = document.getElementById('f-pass'), fCode = document.getElementById('f-code');
  Object.keys(codes).sort().forEach(function (c) { var o = el('option', null, c + ' (' + codes[c] + ')'); o.value = c; fCode.appendChild(o); });
  var shown = document.getElementById('shown');
  var head = document.getElementById('thead');
  var viewport = document.getElementById('viewport');
  var spacer = document.getElementById('spacer');
  var body = document.getElementById('rows');
  var detail = document.getElementById('detail');
  controls.hidden = false;
  document.getElementById('table').hidden = false;
  var grid = columns.map(function (c) { return c.key === 'domain' ? 'minmax(14em,2fr)' : c.key === 'problems' ? 'minmax(10em,2fr)' : 'minmax(6em,1fr)'; }).join(' ');
  head.style.gridTemplateColumns = grid;

  var sortKey = 'line', sortDir = 1, order = rows.slice(), selected = null;
  columns.forEach(function (c) {
    var h = el('div', 'td', c.label);
    h.setAttribute('role', 'columnheader');
    h.setAttribute('data-key', c.key);
    h.tabIndex = 0;
    function sortBy() {
      if (sortKey === c.key) sortDir = -sortDir; else { sortKey = c.key; sortDir = 1; }
      Array.prototype.forEach.call(head.children, function (x) { x.removeAttribute('aria-sort'); });
      h.setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
      apply();
    }
    h.addEventListener('click', sortBy);
    h.addEventListener('keydown', function (e) { if (e.key === 'Enter') sortBy(); });
    head.appendChild(h);
  });

  var applied = null;
  function apply() {
    var text = q.value.trim().toLowerCase(), level = fLevel.value, pass = fPass.value, code = fCode.value;
    var state = JSON.stringify([text, level, pass, code, sortKey, sortDir]);
    if (state === applied) return;
    applied = state;
    var col = columns.filter(function (c) { return c.key === sortKey; })[0] || columns[0];
    var key = col.sort || col.value;
    order = rows.filter(function (r) {
      if (level && levelWord(r) !== level) return false;
      if (pass && String(r.pass) !== pass) return false;
      if (code && r._codes.indexOf(code) < 0) return false;
      if (text && r._text.indexOf(text) < 0) return false;
      return true;
    });
    order.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (typeof x === 'string' || typeof y === 'string') { x = String(x); y = String(y); }
      return (x < y ? -1 : x > y ? 1 : a._i - b._i) * sortDir;
    });
    shown.textContent = order.length + ' of ' + rows.length + ' domains';
    viewport.scrollTop = 0;
    spacer.style.height = (order.length * ROW_HEIGHT) + 'px';
    draw(true);
  }

  var drawn = '';
  function draw(force) {
    var first = Math.max(0, Math.floor(viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    var last = Math.min(order.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    var key = first + ':' + last;
    if (!force && key === drawn) return;
    drawn = key;
    body.style.transform = 'translateY(' + (first * ROW_HEIGHT) + 'px)';
    body.textContent = '';
    for (var i = first; i < last; i++) body.appendChild(rowElement(order[i], i));
  }
  function rowElement(r, position) {
    var tr = el('div', 'tr');
    tr.setAttribute('role', 'row');
    tr.setAttribute('data-index', String(position));
    tr.style.gridTemplateColumns = grid;
    tr.tabIndex = 0;
    if (selected === r) tr.className += ' selected';
    columns.forEach(function (c) {
      var v = c.value(r);
      var td = el('div', 'td', v);
      td.setAttribute('role', 'cell');
      if (c.key === 'level') td.className += ' level-' + (r.level || 'unknown');
      if (c.key === 'pass') td.className += ' pass-' + passWord(r.pass);
      td.title = String(v);
      tr.appendChild(td);
    });
    tr.addEventListener('click', function () { open(r); });
    tr.addEventListener('keydown', function (e) { if (e.key === 'Enter') open(r); });
    return tr;
  }
  var pending = false;
  viewport.addEventListener('scroll', function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; draw(false); });
  });
  window.addEventListener('resize', function () { draw(true); });
  q.addEventListener('input', apply);
  [fLevel, fPass, fCode].forEach(function (c) { c.addEventListener('change', apply); });

  function field(dl, name, value) {
    if (value === undefined || value === null || value === '') return;
    dl.appendChild(el('dt', null, name));
    dl.appendChild(el('dd', null, value));
  }
  function open(r) {
    selected = r;
    draw(true);
    detail.textContent = '';
    detail.hidden = false;
    var h = el('h2', null, r.domain);
    detail.appendChild(h);
    var close = el('button', 'close', 'Close');
    close.type = 'button';
    close.addEventListener('click', function () { detail.hidden = true; selected = null; draw(true); });
    detail.appendChild(close);
    var dl = el('dl');
    field(dl, 'Input', r.input);
    field(dl, 'Line', r.line);
    if (r.columns) Object.keys(r.columns).forEach(function (k) { field(dl, k, r.columns[k]); });
    field(dl, 'Outcome', r.outcome);
    field(dl, 'Level', levelWord(r));
    field(dl, 'Pass', passWord(r.pass) + ' (required: ' + r.required + ')');
    field(dl, 'Policies satisfied', r.satisfied || 'none');
    field(dl, 'DNSSEC', r.dnssec);
    field(dl, 'MTA-STS', r.mtaSts);
    detail.appendChild(dl);
    if (r.mx.length > 0) {
      detail.appendChild(el('h3', null, 'MX hosts'));
      var ul = el('ul', 'hosts');
      r.mx.forEach(function (m) {
        var li = el('li', null);
        li.appendChild(el('strong', null, m.preference + ' ' + m.host));
        var al = el('ul');
        m.addresses.forEach(function (a) {
          var ali = el('li', null);
          var words = [a.ip, 'level ' + (a.level || 'unknown'), a.tls ? a.tls + ' ' + a.cipher : 'no TLS'];
          if (a.trusted !== undefined) words.push(a.trusted ? 'trusted' : 'not trusted');
          if (a.nameMatch !== undefined) words.push(a.nameMatch ? 'name matches' : 'name does not match');
          if (a.dane) words.push('DANE ' + a.dane);
          ali.appendChild(el('span', 'addr', words.join(' · ')));
          if (a.banner) ali.appendChild(el('div', 'muted banner', 'banner: ' + a.banner));
          if (a.failure) ali.appendChild(el('div', 'failure', a.failure));
          if (a.chain.length > 0) {
            var ol = el('ol', 'chain');
            a.chain.forEach(function (c) {
              var cli = el('li');
              cli.appendChild(el('div', null, c.subject));
              cli.appendChild(el('div', 'muted', 'issuer ' + c.issuer));
              cli.appendChild(el('div', 'muted', 'expires ' + c.notAfter + (c.daysLeft === null ? '' : ' (' + c.daysLeft + ' days)')));
              cli.appendChild(el('div', 'muted fp', 'SHA-256 ' + c.fingerprint));
              ol.appendChild(cli);
            });
            ali.appendChild(ol);
          }
          al.appendChild(ali);
        });
        li.appendChild(al);
        ul.appendChild(li);
      });
      detail.appendChild(ul);
    }
    detail.appendChild(el('h3', null, r.problems.length === 0 ? 'No problems' : 'Problems'));
    if (r.problems.length > 0) {
      var pl = el('ul', 'problems');
      r.problems.forEach(function (p) {
        var li = el('li', 'sev-' + p[1]);
        li.appendChild(el('code', null, p[0]));
        li.appendChild(document.createTextNode(' ' + p[1] + (p[3] ? ' at ' + p[3] : '') + ': ' + p[2]));
        var hint = p[4] !== undefined ? p[4] : hints[p[0]];
        if (hint) li.appendChild(el('div', 'hint', hint));
        pl.appendChild(li);
      });
      detail.appendChild(pl);
    }
    detail.scrollIntoView({ block: 'nearest' });
  }

  window.addEventListener('beforeprint', function () {
    var table = document.getElementById('print-table');
    if (table.getAttribute('data-built') === String(order.length)) return;
    table.textContent = '';
    var tr = el('tr');
    columns.forEach(function (c) { tr.appendChild(el('th', null, c.label)); });
    var thead = el('thead'); thead.appendChild(tr); table.appendChild(thead);
    var tb = el('tbody');
    order.forEach(function (r) {
      var row = el('tr');
      columns.forEach(function (c) { row.appendChild(el('td', null, c.value(r))); });
      tb.appendChild(row);
    });
    table.appendChild(tb);
    table.setAttribute('data-built', String(order.length));
  });
  app.setAttribute('data-ready', String(rows.length));
  apply();
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
`;

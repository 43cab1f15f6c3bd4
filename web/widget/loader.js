// @ts-check
/*! Livedesk widget loader: window.Livedesk (queue API), the launcher and the chat iframe.
 * From the page it reads only its own script tag and the URL, title and referrer. */
(function () {
  var w = /** @type {any} */ (window), d = document;
  var me = /** @type {HTMLScriptElement} */ (d.currentScript);
  if (!me || w.Livedesk && w.Livedesk.loaded) return;
  var origin = new URL(me.src).origin;
  var data = function (/** @type {string} */ n) { return me.getAttribute('data-' + n) || ''; };
  var side = data('position'), locale = data('locale');
  var queued = (w.Livedesk && w.Livedesk.q) || [];
  /** @type {Record<string, Function[]>} */
  var on = { open: [], close: [], message: [] };
  /** @type {any[][]} */
  var pending = [];
  var isOpen = false, ready = false, unread = 0, lastUrl = '', referrer = d.referrer;
  var labels = { title: 'Chat', open: 'Open chat', close: 'Close chat', unread: '{n} unread' };
  var host = d.createElement('livedesk-widget');
  var root = host.attachShadow({ mode: 'open' });
  var box = d.createElement('div');
  var frame = d.createElement('iframe');
  var button = d.createElement('button');
  var badge = d.createElement('span');
  var sheet = new CSSStyleSheet();

  // A constructed stylesheet in a shadow root: host CSS cannot reach in, and no inline
  // <style> is needed (so a strict CSP on the host page does not block it).
  sheet.replaceSync(
    ':host{all:initial}button,iframe{z-index:2147483647}' +
    'button{position:fixed;bottom:20px;right:20px;width:56px;height:56px;border:0;border-radius:50%;padding:0;cursor:pointer;' +
    'background:var(--bg,#1f6feb);color:var(--fg,#fff);box-shadow:0 4px 16px rgba(0,0,0,.25)}' +
    'button:focus-visible{outline:3px solid #0b57d0;outline-offset:3px}' +
    'svg{width:28px;height:28px;display:block;margin:auto}' +
    'span{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;' +
    'background:#d1242f;color:#fff;font:bold 12px/20px system-ui,sans-serif}' +
    'iframe{position:fixed;right:20px;bottom:88px;width:380px;height:min(640px,calc(100% - 108px));border:0;border-radius:12px;' +
    'background:#fff;color-scheme:normal;box-shadow:0 8px 32px rgba(0,0,0,.25)}' +
    '.left button,.left iframe{right:auto;left:20px}' +
    '.wait button,:not(.open)>iframe,.open span,[data-n="0"]{display:none}' +
    '@media (max-width:480px){iframe{inset:0;width:100%;height:100%;border-radius:0}.open button{display:none}}'
  );
  root.adoptedStyleSheets = [sheet];

  function post(/** @type {string} */ type, /** @type {any} */ data) {
    if (ready) /** @type {Window} */ (frame.contentWindow).postMessage({ livedesk: 1, type: type, data: data }, origin);
    else if (type !== 'state') pending.push([type, data]);
  }
  function fire(/** @type {string} */ name, /** @type {any} */ data) {
    on[name].forEach(function (fn) { try { fn(data); } catch (e) { console.error(e); } });
  }
  function layout() {
    var label = isOpen ? labels.close : labels.open;
    if (unread && !isOpen) label += ', ' + labels.unread.replace('{n}', '' + unread);
    box.className = (ready ? '' : 'wait ') + (isOpen ? 'open ' : '') + (side === 'left' ? 'left' : '');
    button.setAttribute('aria-label', label);
    button.setAttribute('aria-expanded', '' + isOpen);
    badge.textContent = unread > 9 ? '9+' : '' + unread;
    badge.setAttribute('data-n', '' + unread);
  }
  /** @param {boolean} open @param {boolean} [fromFrame] */
  function setOpen(open, fromFrame) {
    if (open === isOpen) return;
    isOpen = open;
    layout();
    post('state', { open: open });
    if (open) frame.focus();
    else if (fromFrame) button.focus();
    fire(open ? 'open' : 'close', {});
  }
  function page() {
    setTimeout(function () {
      if (location.href === lastUrl) return;
      post('page', { url: location.href, title: d.title, referrer: lastUrl || referrer });
      lastUrl = location.href;
    }, 0);
  }

  host.style.setProperty('all', 'initial', 'important');
  host.style.setProperty('display', 'block', 'important');
  var ns = 'http://www.w3.org/2000/svg', svg = d.createElementNS(ns, 'svg'), path = d.createElementNS(ns, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.append(path);
  button.type = 'button';
  button.append(svg, badge);
  button.onclick = function () { setOpen(!isOpen); };
  frame.title = labels.title;
  frame.setAttribute('allow', 'autoplay');
  frame.src = origin + '/widget/frame?inbox=' + encodeURIComponent(data('inbox')) + '&host=' + encodeURIComponent(location.origin) + (locale ? '&locale=' + encodeURIComponent(locale) : '');
  box.append(frame, button);
  root.append(box);
  layout();

  addEventListener('message', function (e) {
    var m = e.data, x = (m && m.data) || {};
    if (e.origin !== origin || e.source !== frame.contentWindow || !m || m.livedesk !== 1) return;
    if (m.type === 'ready') {
      ready = true;
      side = side || x.position;
      labels = x.labels || labels;
      frame.title = labels.title;
      box.style.setProperty('--bg', x.color);
      box.style.setProperty('--fg', x.fg);
      layout();
      post('state', { open: isOpen });
      pending.splice(0).forEach(function (p) { post(p[0], p[1]); });
    } else if (m.type === 'open') setOpen(!!x.open, true);
    else if (m.type === 'unread') { unread = +x.count || 0; layout(); }
    else if (m.type === 'message') fire('message', { id: x.id, author: x.author });
  });

  ['pushState', 'replaceState'].forEach(function (k) {
    var h = /** @type {any} */ (history), orig = h[k];
    h[k] = function () {
      var r = orig.apply(this, arguments);
      page();
      return r;
    };
  });
  addEventListener('popstate', page);

  /** The public API: see docs/widget.md. */
  function api(/** @type {string} */ cmd, /** @type {any} */ arg, /** @type {any} */ fn) {
    if (cmd === 'open' || cmd === 'close' || cmd === 'toggle') setOpen(cmd === 'toggle' ? !isOpen : cmd === 'open');
    else if (cmd === 'identify' || cmd === 'setAttributes') post(cmd, arg);
    else if (cmd === 'on' && on.hasOwnProperty(arg) && typeof fn === 'function') on[arg].push(fn);
    else console.warn('Livedesk: unknown command', cmd);
  }
  api.loaded = true;
  w.Livedesk = api;
  queued.forEach(function (/** @type {any} */ a) { api.apply(null, a); });
  function mount() {
    d.body.append(host);
    page();
  }
  if (d.body) mount();
  else d.addEventListener('DOMContentLoaded', mount);
})();

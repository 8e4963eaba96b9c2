/* Progressive enhancement only: every page works without this file. */
(function () {
  'use strict';
  // Submit the listing form when the sort order changes, saving a click.
  document.querySelectorAll('select.autosubmit').forEach(function (sel) {
    sel.addEventListener('change', function () { if (sel.form) sel.form.submit(); });
  });

  // Search box autocomplete: completions and top products from /api/suggest
  // in a listbox under the box. Without this script the box is a plain GET
  // form to /search.
  document.querySelectorAll('input[data-suggest]').forEach(function (input) {
    var list = document.createElement('ul');
    var timer = null, seq = 0;
    list.id = input.id + '-list';
    list.className = 'suggest-list';
    list.setAttribute('role', 'listbox');
    list.hidden = true;
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);
    input.parentNode.appendChild(list);
    function close() { list.hidden = true; input.setAttribute('aria-expanded', 'false'); }
    function option(text, href, extra) {
      var li = document.createElement('li'), a = document.createElement('a');
      // The link itself is the option: an option holding a link would
      // nest one interactive control in another.
      li.setAttribute('role', 'none');
      a.setAttribute('role', 'option');
      a.href = href;
      a.textContent = text;
      if (extra) { var s = document.createElement('span'); s.className = 'muted'; s.textContent = extra; a.appendChild(s); }
      li.appendChild(a);
      list.appendChild(li);
    }
    function show(data, mine) {
      if (mine !== seq) return;
      list.textContent = '';
      (data.completions || []).forEach(function (c) { option(c, '/search?q=' + encodeURIComponent(c)); });
      (data.products || []).forEach(function (p) {
        option(p.title, p.url, ' $' + (p.price / 100).toFixed(2));
      });
      list.hidden = !list.firstChild;
      input.setAttribute('aria-expanded', list.hidden ? 'false' : 'true');
    }
    input.addEventListener('input', function () {
      var q = input.value.trim();
      clearTimeout(timer);
      if (q.length < 2) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(input.dataset.suggest + '?q=' + encodeURIComponent(q), { headers: { Accept: 'application/json' } })
          .then(function (r) { return r.ok ? r.json() : {}; })
          .then(function (d) { show(d, mine); })
          .catch(close);
      }, 120);
    });
    input.addEventListener('keydown', function (e) {
      var items = list.querySelectorAll('a'), i = Array.prototype.indexOf.call(items, document.activeElement);
      if (e.key === 'Escape') close();
      if (e.key === 'ArrowDown' && items.length) { e.preventDefault(); items[0].focus(); }
    });
    list.addEventListener('keydown', function (e) {
      var items = list.querySelectorAll('a'), i = Array.prototype.indexOf.call(items, document.activeElement);
      if (e.key === 'ArrowDown' && i + 1 < items.length) { e.preventDefault(); items[i + 1].focus(); }
      if (e.key === 'ArrowUp') { e.preventDefault(); (i > 0 ? items[i - 1] : input).focus(); }
      if (e.key === 'Escape') { close(); input.focus(); }
    });
    document.addEventListener('click', function (e) { if (!input.parentNode.contains(e.target)) close(); });
  });

  // The Departments menu and the Filters disclosure are open on a wide
  // screen: app.css shows their content where the browser can style
  // ::details-content; elsewhere they are opened here (closed on a phone,
  // where they open with a tap, script or not).
  (function openWideDisclosures() {
    var supported = window.CSS && CSS.supports && CSS.supports('selector(::details-content)');
    if (supported || !window.matchMedia || !window.matchMedia('(min-width: 761px)').matches) return;
    document.querySelectorAll('details.menu, details.filters').forEach(function (d) { d.open = true; });
  })();

  // A table wider than a phone's screen scrolls inside itself (app.css);
  // one that does is made focusable, so the keyboard can scroll it too.
  (function focusableScrollingTables() {
    function mark() {
      document.querySelectorAll('main table').forEach(function (t) {
        var scrolls = t.scrollWidth > t.clientWidth + 1;
        if (scrolls && !t.hasAttribute('tabindex')) { t.setAttribute('tabindex', '0'); t.dataset.scrolls = '1'; }
        else if (!scrolls && t.dataset.scrolls === '1') { t.removeAttribute('tabindex'); delete t.dataset.scrolls; }
      });
    }
    mark();
    window.addEventListener('resize', mark);
  })();
})();

// Search filters (H5): the "Filters" disclosure (details.filters) starts
// open where there is room beside the results, and stays one tap away on
// phones. Without this script it starts closed and opens on a click.
(function () {
  'use strict';
  if (!window.matchMedia || !window.matchMedia('(min-width: 761px)').matches) return;
  document.querySelectorAll('details.filters').forEach(function (d) { d.open = true; });
})();

// The checkout form (H3): typing a new address chooses "A new address"
// (without JavaScript the server asks when a saved address is chosen and a
// new one typed).
(function checkoutNewAddress() {
  var form = document.querySelector('form.checkout');
  var radio = form && form.querySelector('input[name="shippingAddressId"][value="0"]');
  var box = form && form.querySelector('.new-address');
  if (!radio || !box) return;
  box.addEventListener('input', function (e) {
    if (e.target.name !== 'saveAddress') radio.checked = true;
  });
})();

/* Product options (H4): choosing an option is a link that loads the page
 * for that SKU (headline price, stock, Add to cart); with JavaScript the
 * buy box is swapped in place instead, and the address follows. */
(function productOptions() {
  'use strict';
  var box = document.getElementById('buy');
  if (!box || !window.fetch || !window.DOMParser) return;
  box.parentNode.addEventListener('click', function (e) {
    var a = e.target.closest ? e.target.closest('#buy a.opt[data-sku]') : null;
    if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.button) return;
    e.preventDefault();
    var href = a.href, group = a.closest('.option-choices'), label = group && group.getAttribute('aria-label');
    fetch(href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, 'text/html').getElementById('buy');
        var cur = document.getElementById('buy');
        if (!next || !cur) throw new Error('no buy box');
        cur.parentNode.replaceChild(document.adoptNode(next), cur);
        history.replaceState(null, '', href);
        // Keep the keyboard where it was: the chosen value of the same option.
        var same = label && document.querySelector('#buy .option-choices[aria-label="' + label.replace(/"/g, '\\"') + '"] a.opt.selected');
        if (same) same.focus();
      })
      .catch(function () { window.location.href = href; });
  });
})();

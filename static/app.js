/* Progressive enhancement only: every page works without this file. */
(function () {
  'use strict';
  // Submit the listing form when the sort order changes, saving a click.
  document.querySelectorAll('select.autosubmit').forEach(function (sel) {
    sel.addEventListener('change', function () { if (sel.form) sel.form.submit(); });
  });
})();

// Accessibility of the site's own furniture (WCAG 2.1 AA; tests/test_a11y.py runs axe-core on every page):
// - Quarto's search box and its button get a name a screen reader can say;
// - a code or output block that scrolls gets into the Tab order, so that a keyboard can scroll it too.
(() => {
  const LABEL = 'Search the course';
  const nameSearch = () => {
    for (const el of document.querySelectorAll('.aa-DetachedSearchButton, .aa-SubmitButton, .aa-Autocomplete, .aa-Input, .aa-ClearButton'))
      if (!el.hasAttribute('aria-label')) el.setAttribute('aria-label', el.matches('.aa-ClearButton') ? 'Clear the search' : LABEL);
  };
  const focusScrollers = () => {
    for (const pre of document.querySelectorAll('pre')) {
      if (pre.hasAttribute('tabindex') || !(pre.scrollWidth > pre.clientWidth || pre.scrollHeight > pre.clientHeight)) continue;
      pre.tabIndex = 0;
      pre.setAttribute('role', 'region');
      pre.setAttribute('aria-label', pre.closest('.cell-output') ? 'output (scrolls)' : 'code (scrolls)');
    }
  };
  const fix = () => { nameSearch(); focusScrollers(); };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fix); else fix();
  window.addEventListener('load', fix);
  window.addEventListener('resize', focusScrollers);
  // the search widget re-renders itself (a narrow screen, an open overlay): name what it adds
  const search = document.getElementById('quarto-search');
  if (search) new MutationObserver(nameSearch).observe(search, { childList: true, subtree: true });
})();

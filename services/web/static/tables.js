// Every table scrolls inside a box of its own, never the page (WCAG 2.1 1.4.10, reflow at
// 320 CSS px): the box is a region named by the table's caption and, while it has anything
// to scroll, focusable, so a keyboard user can scroll it too. Done here once for every page
// (and for what htmx swaps in) rather than in each template. Without script the tables are
// still there; only the page may scroll sideways.
(function () {
  "use strict";
  let made = 0;
  // A box turns focusable when its table no longer fits (a narrower window, a wider table).
  const watch = new ResizeObserver((entries) => entries.forEach((e) =>
    focusable(e.target.closest(".table-wrap"))));

  function focusable(wrap) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      wrap.tabIndex = 0;
    } else {
      wrap.removeAttribute("tabindex");
    }
  }

  function box(root) {
    const tables = root.matches && root.matches("table") ? [root] : root.querySelectorAll("table");
    for (const table of tables) {
      let wrap = table.parentElement;
      if (!wrap.classList.contains("table-wrap")) {
        wrap = document.createElement("div");
        wrap.className = "table-wrap";
        table.replaceWith(wrap);
        wrap.appendChild(table);
      }
      if (!wrap.dataset.watched) {
        wrap.dataset.watched = "1";
        watch.observe(wrap);
        watch.observe(table);
      }
      const caption = table.caption;
      if (caption) {  // a region needs a name: a table without a caption is a defect anyway
        if (!caption.id) caption.id = "table-caption-" + (++made);
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-labelledby", caption.id);
      }
      focusable(wrap);
    }
  }

  // A client's timeline is wider than a phone: its box opens at the right end, the latest
  // months and the as-of date, not at its first year (often an empty grid: a review).
  function latest() {
    document.querySelectorAll(".tl-box").forEach((b) => { b.scrollLeft = b.scrollWidth; });
  }

  function all() {
    box(document);
    latest();
    // No page is kept in the tab's storage (base.html turns htmx's history cache off); one a
    // tab kept from before goes too, whether or not the Gaps filter is used again.
    try { sessionStorage.removeItem("htmx-history-cache"); } catch (e) { /* storage off */ }
  }

  // The map's ring (services/web/geo_svg.py) follows the municipality in focus or under
  // the pointer: drawn last, no neighbour covers part of it.
  function ring(e) {
    const link = e.target.closest && e.target.closest("svg.choropleth a[data-code]");
    const drawn = link && link.ownerSVGElement.querySelector("path.ring");
    const shape = link && link.querySelector("path");
    if (drawn && shape) drawn.setAttribute("d", shape.getAttribute("d"));
  }
  function unring(e) {
    const svg = e.target.closest && e.target.closest("svg.choropleth");
    const drawn = svg && svg.querySelector("path.ring");
    if (drawn && !svg.contains(e.relatedTarget)) drawn.setAttribute("d", "");
  }
  document.addEventListener("focusin", ring);
  document.addEventListener("mouseover", ring);
  document.addEventListener("focusout", unring);
  document.addEventListener("mouseout", unring);

  document.addEventListener("DOMContentLoaded", all);
  document.addEventListener("htmx:load", (e) => box(e.target));
  document.addEventListener("toggle", (e) => box(e.target), true);  // a <details> opened
})();

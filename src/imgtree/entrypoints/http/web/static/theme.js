// Loaded in <head> before the stylesheet paints: the visitor's own light/dark choice (the
// header's theme button, common.js) is applied before the first frame, so a dark page never
// flashes light. Without a stored choice the system's preference rules (site.css).
(function () {
  try {
    var chosen = localStorage.getItem("imgtree-theme");
    if (chosen === "light" || chosen === "dark") document.documentElement.dataset.theme = chosen;
  } catch (e) {
    /* storage blocked: follow the system */
  }
})();

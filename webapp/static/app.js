// learnloop web app: render LaTeX with KaTeX (visual HTML + MathML for assistive technology)
// and keep keyboard focus on the answer feedback after an htmx swap.
(function () {
  "use strict";
  function renderMath(root) {
    if (typeof window.renderMathInElement !== "function") return;
    root.querySelectorAll(".math").forEach(function (el) {
      window.renderMathInElement(el, {
        delimiters: [
          { left: "$$", right: "$$", display: false },
          { left: "\\(", right: "\\)", display: false },
          { left: "\\[", right: "\\]", display: true }
        ],
        output: "htmlAndMathml",
        throwOnError: false
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    renderMath(document);
    document.body.dataset.ready = "1";
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    renderMath(document);
    var focus = document.querySelector("[data-focus]");
    if (focus) {
      focus.removeAttribute("data-focus");
      focus.focus();
    }
    var status = document.getElementById("attempt-status");
    if (status) {
      var answered = document.querySelectorAll(".item .result").length;
      var total = document.querySelectorAll(".item").length;
      status.textContent = answered + " of " + total + " answered.";
    }
  });
})();

// Select an embed code on focus so it can be copied with one keystroke.
document.querySelectorAll("input.code").forEach(function (input) {
  input.addEventListener("focus", function () { input.select(); });
});

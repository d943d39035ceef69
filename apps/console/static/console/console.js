// The admin console's small helpers. Every page reads fully without them:
// ids keep their full value in a title, charts are server-drawn SVG.
"use strict";

// Copy buttons next to short ids.
document.addEventListener("click", (event) => {
  const button = event.target.closest(".copy-id");
  if (!button) return;
  event.preventDefault();
  const text = button.dataset.copy;
  const done = () => {
    button.classList.add("copied");
    setTimeout(() => { button.classList.remove("copied"); }, 1200);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done);
  } else {  // plain http on a non-local host: the clipboard API is not offered there
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    done();
  }
});

// Live charts: an element with data-live-url re-fetches that fragment every
// data-live-interval seconds and swaps it in (paused while the tab is hidden).
for (const panel of document.querySelectorAll("[data-live-url]")) {
  const seconds = Number(panel.dataset.liveInterval || 5);
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const response = await fetch(panel.dataset.liveUrl, { credentials: "same-origin" });
      if (response.ok) {
        panel.innerHTML = await response.text();
        panel.dataset.refreshed = String(Number(panel.dataset.refreshed || 0) + 1);
      }
    } catch (error) {
      // The server restarting: keep the last pictures and try again next tick.
    }
  };
  setInterval(refresh, seconds * 1000);
}

// The Alerts feed, live: a [data-alert-stream] section listens to the alert stream (server-sent events from
// /v1/{environment}/alerts/stream, authenticated by the session cookie) and, on each alert, has htmx fetch the
// feed fragment again, so the server renders every row. New rows are marked; the status says what arrived.
function wireStream(section) {
  if (section.dataset.wired || typeof EventSource === "undefined") return;
  section.dataset.wired = "true";
  const status = section.querySelector("[data-live-status]");
  const say = (text) => {
    if (status) status.textContent = text;
  };
  const target = section.dataset.refreshTarget || "#alert-feed";
  let pending = [];

  const refresh = () => {
    const feed = document.querySelector(target);
    if (!feed || !window.htmx) return;
    const known = new Set([...feed.querySelectorAll("[data-alert]")].map((item) => item.dataset.alert));
    window.htmx.ajax("GET", feed.dataset.refreshUrl, { target, swap: "outerHTML" }).then(() => {
      const fresh = document.querySelector(target);
      if (!fresh) return;
      fresh.querySelectorAll("[data-alert]").forEach((item) => {
        if (!known.has(item.dataset.alert)) item.querySelector(".alert-item")?.classList.add("alert-item--arrived");
      });
      const count = Number(fresh.dataset.newCount || 0);
      document.querySelectorAll("[data-new-count]").forEach((badge) => {
        if (badge !== fresh) badge.textContent = `${count} new`;
      });
    });
  };

  const source = new EventSource(section.dataset.streamUrl);
  section.stofStream = source;
  source.addEventListener("open", () => say("Live: new alerts appear here as they arrive."));
  source.addEventListener("error", () => say("Live updates interrupted: reconnecting…"));
  source.addEventListener("alert", (event) => {
    let title = "a new alert";
    try {
      title = `“${JSON.parse(event.data).title}”`;
    } catch {
      // a malformed event still refreshes the feed
    }
    pending.push(title);
    // a burst of alerts costs one refresh
    if (pending.length === 1) {
      setTimeout(() => {
        const arrived = pending;
        pending = [];
        say(arrived.length === 1 ? `New alert: ${arrived[0]}.` : `${arrived.length} new alerts.`);
        refresh();
      }, 150);
    }
  });
  window.addEventListener("pagehide", () => source.close());
}

function start() {
  document.querySelectorAll("[data-alert-stream]").forEach(wireStream);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();

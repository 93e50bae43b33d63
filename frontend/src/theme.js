// Runs in <head> before the first paint: applies the theme the member chose (light, dark), else the system's.
(function applyStoredTheme() {
  try {
    const theme = localStorage.getItem("segmentr-theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch {
    // storage disabled: follow the system
  }
})();

// A council member's card saves itself as a draft a moment after each choice (PUT to the API
// with the session's CSRF token), so nothing typed is lost; the buttons work without it.
(() => {
  const form = document.getElementById("card");
  const status = document.getElementById("autosave");
  if (!form || !status || !form.dataset.autosave) return;
  let timer = null;
  const choices = () => {
    const picked = {};
    for (const input of form.querySelectorAll("input[type=radio]:checked")) {
      picked[input.name.slice(2)] = Number(input.value);
    }
    return picked;
  };
  const save = async () => {
    timer = null;
    try {
      const response = await fetch(form.dataset.autosave, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
        body: JSON.stringify({ choices: choices() }),
      });
      if (response.ok) {
        status.textContent = status.dataset.saved;
      } else {
        const body = await response.json().catch(() => ({}));
        const code = body.error && body.error.code;
        status.textContent = code === "already_submitted" ? status.dataset.submitted : status.dataset.failed;
      }
    } catch (_) {
      status.textContent = status.dataset.failed;
    }
  };
  form.addEventListener("change", () => {
    if (timer) clearTimeout(timer);
    status.textContent = status.dataset.saving;
    timer = setTimeout(save, 600);
  });
})();

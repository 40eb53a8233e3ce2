// An import's page follows its run: the bar and the count move as the worker reports, and the
// page reloads with the report once the run has finished. The run goes on without the page.
(function () {
  const box = document.getElementById('import-progress');
  if (!box) return;
  const id = box.dataset.import;
  const bar = box.querySelector('progress');
  const text = document.getElementById('import-progress-text');
  const state = document.getElementById('import-state');
  async function poll() {
    try {
      const answer = await fetch('/api/v1/imports/' + encodeURIComponent(id) + '?progress', {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
      });
      if (answer.ok) {
        const run = await answer.json();
        if (run.finished) {
          window.location.reload();
          return;
        }
        if (run.total_rows > 0) {
          bar.value = Math.round((run.done_rows * 100) / run.total_rows);
          text.textContent = box.dataset.doneLabel
            .replace('__done__', run.done_rows.toLocaleString('vi-VN'))
            .replace('__total__', run.total_rows.toLocaleString('vi-VN'));
        }
        const label = box.dataset['state' + run.state.charAt(0).toUpperCase() + run.state.slice(1)];
        if (label) state.textContent = label;
      }
    } catch (e) {
      // The server restarting: keep asking.
    }
    setTimeout(poll, 700);
  }
  setTimeout(poll, 300);
})();

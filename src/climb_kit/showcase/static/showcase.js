// The gallery's filters: show only the cards whose project and cohort match the chosen ones.
// The choice is kept in the address's #fragment so a filtered view can be linked to. It works
// from file:// and never touches the network. Cards are only hidden or shown, never rewritten:
// nothing a learner wrote is ever turned into HTML here.
"use strict";

(function () {
  const project = document.getElementById("filter-project");
  const cohort = document.getElementById("filter-cohort");
  const shown = document.getElementById("shown-count");
  if (!project || !cohort || !shown) {
    return; // a submission page: nothing to filter
  }
  const cards = Array.from(document.querySelectorAll("#cards .card"));
  const offered = (select, value) =>
    Array.from(select.options).some((option) => option.value === value);

  function apply() {
    let count = 0;
    for (const card of cards) {
      const match =
        (project.value === "" || card.dataset.project === project.value) &&
        (cohort.value === "" || card.dataset.cohort === cohort.value);
      card.hidden = !match;
      if (match) {
        count += 1;
      }
    }
    shown.textContent = String(count);
  }

  function remember() {
    const params = new URLSearchParams();
    if (project.value) params.set("project", project.value);
    if (cohort.value) params.set("cohort", cohort.value);
    const fragment = params.toString();
    try {
      history.replaceState(null, "", fragment ? "#" + fragment : location.pathname);
    } catch (error) {
      // Some browsers refuse history changes on file:// pages; the filter still works.
    }
  }

  function fromAddress() {
    const params = new URLSearchParams(location.hash.slice(1));
    const wantedProject = params.get("project") || "";
    const wantedCohort = params.get("cohort") || "";
    project.value = offered(project, wantedProject) ? wantedProject : "";
    cohort.value = offered(cohort, wantedCohort) ? wantedCohort : "";
    apply();
  }

  for (const select of [project, cohort]) {
    select.addEventListener("change", () => {
      apply();
      remember();
    });
  }
  document.getElementById("filters").addEventListener("submit", (event) => event.preventDefault());
  window.addEventListener("hashchange", fromAddress);
  fromAddress();
})();

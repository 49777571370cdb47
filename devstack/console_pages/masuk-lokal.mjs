/* The local sign-in page (devstack only, never in web/): a token from the local gateway for the chosen role and OPD,
   kept where the console keeps a Google sign-in, then back to the page that asked. */
import * as api from "/static/petugas/api.mjs";

const form = document.getElementById("local-form");
const alertBox = document.getElementById("alert");
const opdField = document.getElementById("opd-field");
const opdSelect = document.getElementById("f-opd");
const back = api.safeReturnPath(new URLSearchParams(window.location.search).get("kembali") || api.HOME_PATH);

function say(message) {
  const paragraph = document.createElement("p");
  paragraph.textContent = message;
  alertBox.replaceChildren(paragraph);
}

function syncOpd() {
  opdField.hidden = form.elements.role.value !== "opd";
}

async function loadOpd() {
  const response = await window.fetch("/v1/programs");
  const catalogue = await response.json();
  for (const opd of catalogue.opd) {
    const option = document.createElement("option");
    option.value = opd.id;
    option.textContent = opd.name;
    opdSelect.append(option);
  }
}

form.addEventListener("change", syncOpd);
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const role = form.elements.role.value;
  const body = { role, opd: role === "opd" ? opdSelect.value : "", email: form.elements.email.value.trim() };
  let response;
  try {
    response = await window.fetch("/__lokal/staff-token", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
  } catch {
    say(api.NETWORK_MESSAGE);
    return;
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok || !answer.token) {
    say(answer.error && answer.error.message ? answer.error.message : "Token lokal tidak dapat dibuat.");
    return;
  }
  window.sessionStorage.setItem(api.TOKEN_KEY, answer.token);
  window.location.replace(back !== api.HOME_PATH ? back : api.homeFor(role));
});

syncOpd();
loadOpd().catch(() => say("Daftar OPD tidak dapat dimuat. Apakah tumpukan lokal sudah siap?"));

/* Options: the server, and an API token or a license key, kept in the extension's storage. */
"use strict";

const ext = globalThis.browser ?? globalThis.chrome;
const form = document.getElementById("options");
const status = document.getElementById("status");
const FIELDS = ["serverUrl", "apiToken", "licenseKey"]; // installId stays: it is this install's machine

function say(text, isError = false) {
  status.textContent = text;
  status.classList.toggle("error", isError);
}

async function load() {
  const stored = await ext.storage.local.get(FIELDS);
  for (const field of FIELDS) form.elements[field].value = stored[field] || "";
}

function originOf(text) {
  const parsed = new URL(text.trim());
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error("use an https:// address");
  return parsed.origin;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  let serverUrl;
  try {
    serverUrl = originOf(form.elements.serverUrl.value);
  } catch (_error) {
    say("That server address isn't a web address (https://…).", true);
    return;
  }
  const apiToken = form.elements.apiToken.value.trim();
  const licenseKey = form.elements.licenseKey.value.trim();
  if (!apiToken && !licenseKey) {
    say("Paste an API token or a license key.", true);
    return;
  }
  await ext.storage.local.set({ serverUrl, apiToken, licenseKey });
  form.elements.serverUrl.value = serverUrl;
  say("Checking…");
  const answer = await ext.runtime.sendMessage({ type: "check" });
  if (answer && answer.ok) say(`Signed in as ${answer.result.email} (${answer.result.tier}).`);
  else say(`Saved, but the check failed: ${(answer && answer.message) || "no answer"}`, true);
});

load();

/*
 * The one place that talks to the JobSpy Web server: content scripts and the options page
 * ask it by message. It sends requests only to the configured server origin, with a Bearer
 * token and never cookies (credentials: "omit"), so a posting page can't reach the API.
 *
 * Sign-in: a personal API token (from the Account page) or a license key is exchanged at
 * POST /auth/token for a short-lived access token, kept in memory until it expires.
 */
"use strict";

const ext = globalThis.browser ?? globalThis.chrome;
const REQUEST_TIMEOUT_MS = 15000;
const PAID_TIERS = new Set(["pro", "team", "admin"]);

let access = null; // { token, tier, expiresAt, forSettings }

async function loadSettings() {
  const stored = await ext.storage.local.get(["serverUrl", "apiToken", "licenseKey"]);
  return { serverUrl: stored.serverUrl || "", apiToken: stored.apiToken || "", licenseKey: stored.licenseKey || "" };
}

function serverOrigin(serverUrl) {
  let parsed;
  try {
    parsed = new URL(serverUrl);
  } catch (_error) {
    throw new ExtensionError("NOT_CONFIGURED", "Set your JobSpy Web server in the extension's options.");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new ExtensionError("NOT_CONFIGURED", "The server address must start with https:// (or http:// for your own machine).");
  }
  return parsed.origin;
}

class ExtensionError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// Every request goes through here: the URL is built on the configured origin and checked.
async function request(origin, path, { method = "GET", body = null, token = null } = {}) {
  const url = new URL(path, origin);
  if (url.origin !== origin) throw new ExtensionError("BAD_REQUEST", "Refusing to send the token to another server.");
  const headers = { Accept: "application/json" };
  if (body !== null) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === null ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      signal: controller.signal,
    });
  } catch (_error) {
    throw new ExtensionError("UNREACHABLE", `Can't reach ${origin}. Is the server running, and does it allow this extension?`);
  } finally {
    clearTimeout(timer);
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch (_error) {
    answer = null;
  }
  if (!response.ok) {
    const error = (answer && answer.error) || {};
    throw new ExtensionError(error.code || `HTTP_${response.status}`, error.message || `The server answered ${response.status}.`);
  }
  return answer;
}

// A license holds machines; an extension can't read the hardware, so each install is one
// machine, named by a random id made on first use.
async function installId() {
  const stored = await ext.storage.local.get("installId");
  if (stored.installId) return stored.installId;
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const id = `ext-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
  await ext.storage.local.set({ installId: id });
  return id;
}

async function accessToken(settings, origin) {
  const forSettings = `${origin}\n${settings.apiToken}\n${settings.licenseKey}`;
  if (access && access.forSettings === forSettings && access.expiresAt > Date.now() + 30000) return access;
  let credentials;
  if (settings.apiToken) credentials = { api_token: settings.apiToken };
  else if (settings.licenseKey) {
    credentials = {
      grant_type: "license_key",
      license_key: settings.licenseKey,
      hardware_fp: await installId(),
      app_version: ext.runtime.getManifest().version,
    };
  }
  else throw new ExtensionError("NOT_SIGNED_IN", "Paste an API token (Account page) or a license key in the extension's options.");
  const issued = await request(origin, "/auth/token", { method: "POST", body: credentials });
  access = {
    token: issued.access_token,
    tier: issued.tier || "free",
    expiresAt: Date.now() + (issued.expires_in || 300) * 1000,
    forSettings,
  };
  return access;
}

async function withAccess(work) {
  const settings = await loadSettings();
  const origin = serverOrigin(settings.serverUrl);
  const granted = await accessToken(settings, origin);
  try {
    return await work(origin, granted);
  } catch (error) {
    if (error.code === "EXPIRED" || error.code === "REVOKED" || error.code === "INVALID_TOKEN") access = null;
    throw error;
  }
}

const POSTING_FIELDS = ["url", "title", "company", "location", "salary_text", "description", "site"];

const handlers = {
  async lookup({ url }) {
    return withAccess(async (origin, granted) => {
      const answer = await request(origin, `/api/tracker/lookup?url=${encodeURIComponent(String(url))}`, { token: granted.token });
      return { found: Boolean(answer.found), item: answer.item || null, tier: granted.tier };
    });
  },
  async save({ posting }) {
    const body = {};
    for (const field of POSTING_FIELDS) if (posting[field] != null && posting[field] !== "") body[field] = String(posting[field]);
    return withAccess(async (origin, granted) => {
      const answer = await request(origin, "/api/tracker/jobs", { method: "POST", body, token: granted.token });
      return { item: answer.item };
    });
  },
  async insights({ title, location }) {
    return withAccess(async (origin, granted) => {
      if (!PAID_TIERS.has(granted.tier)) return { available: false };
      const query = new URLSearchParams({ title: String(title || "") });
      if (location) query.set("location", String(location));
      const answer = await request(origin, `/premium/salary-insights?${query}`, { token: granted.token });
      return { available: true, insights: answer };
    });
  },
  async check() {
    access = null;
    return withAccess(async (origin, granted) => {
      const me = await request(origin, "/auth/me", { token: granted.token });
      return { email: me.email, tier: me.tier };
    });
  },
};

ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // Only this extension's own pages and content scripts may ask.
  if (sender.id !== ext.runtime.id || !message || !Object.hasOwn(handlers, message.type)) return false;
  handlers[message.type](message)
    .then((result) => sendResponse({ ok: true, result }))
    .catch((error) => sendResponse({ ok: false, code: error.code || "ERROR", message: error.message }));
  return true; // answered asynchronously
});

ext.action.onClicked.addListener(() => ext.runtime.openOptionsPage());

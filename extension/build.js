#!/usr/bin/env node
/*
 * One codebase (src/), one manifest; each browser's build drops the key the other browser
 * reads, so neither warns: Chrome runs the background as a service worker, Firefox as an
 * event page (background.scripts), and only Firefox reads browser_specific_settings.
 *
 *   node build.js          -> dist/chrome and dist/firefox, ready to load unpacked
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const SOURCE = path.join(__dirname, "src");
const DIST = path.join(__dirname, "dist");

const MANIFEST_FOR = {
  chrome(manifest) {
    const { browser_specific_settings: _firefoxOnly, ...rest } = manifest;
    return { ...rest, background: { service_worker: manifest.background.service_worker } };
  },
  firefox(manifest) {
    return { ...manifest, background: { scripts: manifest.background.scripts } };
  },
};

function build(browser) {
  const target = path.join(DIST, browser);
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(SOURCE, target, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(SOURCE, "manifest.json"), "utf8"));
  fs.writeFileSync(path.join(target, "manifest.json"), `${JSON.stringify(MANIFEST_FOR[browser](manifest), null, 2)}\n`);
  return target;
}

if (require.main === module) {
  for (const browser of Object.keys(MANIFEST_FOR)) console.log(build(browser));
}

module.exports = { build };

"""What makes the app installable: manifest, icons, theme colour and the service worker."""

from __future__ import annotations

import reflex as rx

_REGISTER_WORKER = """
if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => navigator.serviceWorker.register('/sw.js').catch(() => {}));
}
"""

PWA_HEAD = [
    rx.el.link(rel="manifest", href="/manifest.json"),
    rx.el.meta(name="theme-color", content="#3e63dd"),
    rx.el.meta(name="viewport", content="width=device-width, initial-scale=1, viewport-fit=cover"),
    rx.el.meta(name="apple-mobile-web-app-capable", content="yes"),
    rx.el.link(rel="apple-touch-icon", href="/icon-192.png"),
    rx.el.link(rel="icon", href="/favicon.ico"),
    rx.script(_REGISTER_WORKER),
]

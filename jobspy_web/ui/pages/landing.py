"""What a signed-out visitor sees at "/": what the app does, how it looks, the sites, the plans."""

from __future__ import annotations

import reflex as rx

from jobspy_web.billing.plans import all_plans
from jobspy_web.core.sites import SITES
from jobspy_web.ui import routes
from jobspy_web.ui.state.billing import money

ONE_LINE = "Search every job board at once: Indeed, LinkedIn, Glassdoor and more, live, in one list you can filter and export."


def _plan_summaries() -> rx.Component:
    """The plans as configured (BILLING_PLANS), each with the limits Pricing publishes."""
    cards = []
    for plan in all_plans():
        price = "Free" if plan.kind == "free" else money(plan.price_cents, plan.currency)
        per = {"month": " / month", "year": " / year"}.get(plan.interval or "", " once" if plan.kind == "one_time" else "")
        cards.append(
            rx.card(
                rx.vstack(
                    rx.heading(plan.name, size="3", as_="h3"),
                    rx.text(rx.text.strong(price), per, size="2"),
                    *[rx.text("✓ ", promise, size="2") for promise in plan.promises()[:3]],
                    spacing="1",
                ),
                class_name="landing-plan",
            )
        )
    return rx.grid(*cards, columns=rx.breakpoints(initial="1", sm="2", lg="4"), spacing="3", width="100%")


def landing() -> rx.Component:
    return rx.vstack(
        rx.heading("Every job board, one search", size="8", as_="h1"),
        rx.text(ONE_LINE, size="4", color_scheme="gray", id="landing-pitch"),
        rx.hstack(
            rx.button(rx.link("Create a free account", href=routes.SIGNUP, underline="none"), as_child=True, size="3"),
            rx.button(rx.link("Sign in", href=routes.LOGIN, underline="none"), as_child=True, size="3", variant="outline"),
            spacing="3",
            wrap="wrap",
        ),
        rx.image(
            src="/screenshot-search.png",
            # WebP at the width the screen needs (29-76 KiB instead of the PNG's 154 KiB): the
            # screenshot is the landing page's largest paint on a phone.
            src_set="/screenshot-search-640.webp 640w, /screenshot-search-960.webp 960w, /screenshot-search-1280.webp 1280w",
            sizes="(max-width: 1232px) calc(100vw - 32px), 1200px",
            alt="The search page while LinkedIn is still running: Indeed and ZipRecruiter have their jobs in, "
            "Glassdoor was blocked and says what to do.",
            # The picture's size as HTML attributes (rx.image's width/height props become CSS):
            # with them and the aspect ratio, the browser keeps its box before it arrives.
            custom_attrs={"width": "1280", "height": "860"},
            loading="lazy",
            style={
                "width": "100%",
                "height": "auto",
                "aspect_ratio": "1280 / 860",
                "border": "1px solid var(--gray-a5)",
                "border_radius": "var(--radius-3)",
            },
        ),
        rx.heading("The sites", size="5", as_="h2"),
        rx.flex(*[rx.badge(name, size="2", variant="soft") for name in SITES.values()], wrap="wrap", gap="2", id="landing-sites"),
        rx.text(
            "Each site's results arrive as it answers; the same job on two sites shows once; "
            "pay is compared per year; a blocked site says so instead of showing nothing.",
            size="3",
        ),
        rx.heading("Plans", size="5", as_="h2"),
        _plan_summaries(),
        rx.text("Every limit and price: ", rx.link("see the plans", href=routes.PRICING), ".", size="2"),
        spacing="4",
        width="100%",
        max_width="960px",
        margin_x="auto",
        id="landing",
    )

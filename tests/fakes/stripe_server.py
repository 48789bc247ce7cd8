"""A small Stripe on 127.0.0.1: the REST calls the app makes, the hosted pages a person
visits, and Stripe's side of a payment (objects change, signed events are sent).

The app's official SDK talks to it through STRIPE_API_BASE, so requests are encoded,
authenticated and retried exactly as they would be against Stripe. Objects are built
from tests/fixtures/stripe/*.json (shaped like Stripe API version 2026-10-28 answers).

  REST    POST /v1/customers, /v1/checkout/sessions, /v1/billing_portal/sessions,
          /v1/payment_intents;  GET /v1/{customers,checkout/sessions,subscriptions,
          invoices,payment_intents}/<id> (expand[]=latest_charge). Bearer sk_test_ keys,
          Idempotency-Key replays (and idempotency_error on reuse with other params),
          Stripe's error bodies (resource_missing, 401, 400 for an unknown price).
  Pages   GET /checkout/<id> (a Pay button), GET /portal/<id> (a Cancel button): their
          POSTs act like Stripe and redirect back, sending webhooks in the background.
  Stripe  complete_checkout, renew, fail_renewal, cancel_subscription, change_price,
          set_status, succeed_payment_intent, fail_payment_intent: each changes the
          objects and returns the events Stripe would send; `send(events)` signs them
          (stripe.WebhookSignature) and POSTs them to `webhook_url`.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import string
import threading
import time
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import stripe

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stripe"
API_VERSION = "2026-10-28.endive"
MONTH_S, YEAR_S = 30 * 86400, 365 * 86400
_ALPHABET = string.ascii_letters + string.digits


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(length))}"


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`line_items[0][price]=...`) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        path = re.findall(r"[^\[\]]+", key)
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(key.isdigit() for key in node):
            return [_lists(node[key]) for key in sorted(node, key=int)]
        return {key: _lists(value) for key, value in node.items()}
    return node


class StripeApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body["error"]["message"])
        self.status, self.body = status, body


def _missing(kind: str, object_id: str, param: str = "id") -> StripeApiError:
    body = fixture("error_resource_missing")
    body["error"].update(message=f"No such {kind}: '{object_id}'", param=param)
    return StripeApiError(404, body)


def _invalid(message: str, *, param: str | None = None, kind: str = "invalid_request_error", status: int = 400) -> StripeApiError:
    return StripeApiError(status, {"error": {"message": message, "param": param, "type": kind}})


class FakeStripe:
    def __init__(self, *, webhook_secret: str = "whsec_test_fake", api_key_prefix: str = "sk_test_") -> None:
        self.webhook_secret = webhook_secret
        self.webhook_url = ""
        self.api_key_prefix = api_key_prefix
        self.lock = threading.RLock()
        self.objects: dict[str, dict[str, dict[str, Any]]] = {
            kind: {} for kind in ("customer", "price", "checkout_session", "subscription", "invoice", "payment_intent", "charge")
        }
        self.requests: list[dict[str, Any]] = []  # method, path, params, idempotency_key
        self.events: list[dict[str, Any]] = []  # every event sent or returned, in order
        self.deliveries: list[tuple[str, int]] = []  # event id, HTTP status of our POST
        self.fail_next_requests = 0  # answer this many API requests 500 (an outage)
        self._idempotency: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> FakeStripe:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-stripe").start()
        return self

    def stop(self) -> None:
        for thread in self._threads:
            thread.join(timeout=30)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def now(self) -> int:
        return int(time.time())

    # --- catalogue --------------------------------------------------------------------

    def add_price(
        self, price_id: str, *, unit_amount: int, currency: str = "usd", interval: str | None = "month", nickname: str = "Pro"
    ) -> dict[str, Any]:
        price = fixture("price")
        price.update(
            id=price_id,
            unit_amount=unit_amount,
            unit_amount_decimal=str(unit_amount),
            currency=currency,
            nickname=nickname,
            created=self.now(),
        )
        if interval is None:
            price.update(recurring=None, type="one_time")
        else:
            price["recurring"]["interval"] = interval
        self.objects["price"][price_id] = price
        return price

    # --- the REST API -----------------------------------------------------------------

    def api(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        route = path.removeprefix("/v1/")
        parts = route.split("/")
        with self.lock:
            if method == "POST" and route == "customers":
                return self._create_customer(params)
            if method == "POST" and route == "checkout/sessions":
                return self._create_checkout_session(params)
            if method == "POST" and route == "billing_portal/sessions":
                return self._create_portal_session(params)
            if method == "POST" and route == "payment_intents":
                return self._create_payment_intent(params)
            if method == "GET" and len(parts) == 2 and parts[0] in ("customers", "subscriptions", "invoices", "payment_intents"):
                return self._retrieve(parts[0].removesuffix("s"), parts[1], params)
            if method == "GET" and route.startswith("checkout/sessions/"):
                return self._retrieve("checkout_session", parts[-1], params)
        if method == "DELETE" and len(parts) == 2 and parts[0] == "subscriptions":
            if parts[1] not in self.objects["subscription"]:
                raise _missing("subscription", parts[1])
            events = self.cancel_subscription(parts[1])
            if self.webhook_url:  # Stripe tells the app by webhook (service tests have no app)
                self.send_later(events, delay_s=0.1)
            return copy.deepcopy(self.objects["subscription"][parts[1]])
        raise _invalid(f"Unrecognized request URL ({method}: {path}).", status=404)

    def _retrieve(self, kind: str, object_id: str, params: dict[str, Any]) -> dict[str, Any]:
        found = self.objects[kind].get(object_id)
        if found is None:
            raise _missing(kind, object_id)
        answer = copy.deepcopy(found)
        for field in params.get("expand", []):
            if field == "latest_charge" and answer.get("latest_charge"):
                answer["latest_charge"] = copy.deepcopy(self.objects["charge"][answer["latest_charge"]])
        return answer

    def _create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = fixture("customer")
        customer.update(
            id=new_id("cus", 14),
            created=self.now(),
            email=params.get("email"),
            name=params.get("name") or None,
            metadata=params.get("metadata", {}),
            invoice_prefix=secrets.token_hex(4).upper(),
        )
        self.objects["customer"][customer["id"]] = customer
        return customer

    def _create_checkout_session(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = params.get("customer")
        if customer and customer not in self.objects["customer"]:
            raise _missing("customer", customer, "customer")
        line_items = params.get("line_items") or []
        if not line_items:
            raise _invalid("line_items is required in subscription mode.", param="line_items")
        price = self.objects["price"].get(line_items[0].get("price", ""))
        if price is None:
            raise _invalid(f"No such price: '{line_items[0].get('price')}'", param="line_items[0][price]")
        session = fixture("checkout_session")
        session_id = new_id("cs_test", 58)
        session.update(
            id=session_id,
            created=self.now(),
            expires_at=self.now() + 86400,
            mode=params.get("mode", "payment"),
            customer=customer,
            client_reference_id=params.get("client_reference_id"),
            metadata=params.get("metadata", {}),
            success_url=params["success_url"],
            cancel_url=params.get("cancel_url"),
            amount_subtotal=int(price["unit_amount"]),
            amount_total=int(price["unit_amount"]),
            currency=price["currency"],
            url=f"{self.url}/checkout/{session_id}",
        )
        # Kept beside the session (Stripe keeps them too), for complete_checkout.
        session["_line_items"] = line_items
        session["_subscription_data"] = params.get("subscription_data", {})
        self.objects["checkout_session"][session_id] = session
        return _public(session)

    def _create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("customer") not in self.objects["customer"]:
            raise _missing("customer", str(params.get("customer")), "customer")
        portal = fixture("billing_portal_session")
        portal_id = new_id("bps", 24)
        portal.update(
            id=portal_id,
            created=self.now(),
            customer=params["customer"],
            return_url=params.get("return_url"),
            url=f"{self.url}/portal/{portal_id}",
        )
        self.objects.setdefault("portal_session", {})[portal_id] = portal
        return portal

    def _create_payment_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            amount = int(params["amount"])
        except (KeyError, ValueError):
            raise _invalid("Missing required param: amount.", param="amount") from None
        intent = fixture("payment_intent")
        intent_id = new_id("pi", 24)
        intent.update(
            id=intent_id,
            amount=amount,
            currency=params.get("currency", "usd"),
            customer=params.get("customer"),
            description=params.get("description"),
            metadata=params.get("metadata", {}),
            created=self.now(),
            client_secret=f"{intent_id}_secret_{new_id('x', 25)[2:]}",
        )
        self.objects["payment_intent"][intent_id] = intent
        return intent

    # --- Stripe's side of things ------------------------------------------------------

    def event(self, event_type: str, subject: dict[str, Any], previous_attributes: dict[str, Any] | None = None) -> dict[str, Any]:
        """An event as Stripe sends it: a snapshot of `subject` now."""
        event = fixture("event")
        event.update(id=new_id("evt", 24), created=self.now(), type=event_type, api_version=API_VERSION)
        event["data"] = {"object": _public(copy.deepcopy(subject))}
        if previous_attributes:
            event["data"]["previous_attributes"] = previous_attributes
        self.events.append(event)
        return event

    def complete_checkout(self, session_id: str) -> list[dict[str, Any]]:
        """The person paid on the Checkout page: customer, subscription, invoice, payment."""
        with self.lock:
            session = self.objects["checkout_session"][session_id]
            price = self.objects["price"][session["_line_items"][0]["price"]]
            metadata = session["_subscription_data"].get("metadata", {})
            subscription = self._new_subscription(session["customer"], price, metadata)
            incomplete = {**subscription, "status": "incomplete"}
            invoice, intent = self._paid_invoice(subscription, price, "subscription_create")
            session.update(status="complete", payment_status="paid", subscription=subscription["id"], invoice=invoice["id"])
            session["customer_details"] = {
                "address": None,
                "email": self.objects["customer"][session["customer"]]["email"],
                "name": None,
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            }
            return [
                self.event("customer.subscription.created", incomplete),
                self.event(
                    "invoice.created",
                    {**invoice, "status": "draft", "status_transitions": {**invoice["status_transitions"], "paid_at": None}},
                ),
                self.event("payment_intent.succeeded", intent),
                self.event("invoice.paid", invoice),
                self.event("invoice.payment_succeeded", invoice),
                self.event("customer.subscription.updated", subscription, {"status": "incomplete"}),
                self.event("checkout.session.completed", session),
            ]

    def renew(self, subscription_id: str) -> list[dict[str, Any]]:
        """A new period starts and its invoice is paid."""
        with self.lock:
            subscription, previous = self._next_period(subscription_id)
            subscription["status"] = "active"
            price = subscription["items"]["data"][0]["price"]
            invoice, _intent = self._paid_invoice(subscription, price, "subscription_cycle")
            return [self.event("invoice.paid", invoice), self.event("customer.subscription.updated", subscription, previous)]

    def fail_renewal(self, subscription_id: str) -> list[dict[str, Any]]:
        """A new period starts and its card is declined: the subscription is past_due."""
        with self.lock:
            subscription, previous = self._next_period(subscription_id)
            previous["status"], subscription["status"] = subscription["status"], "past_due"
            price = subscription["items"]["data"][0]["price"]
            invoice = self._invoice(subscription, price, "subscription_cycle")
            invoice.update(
                status="open",
                amount_paid=0,
                amount_remaining=invoice["amount_due"],
                attempted=True,
                attempt_count=1,
                next_payment_attempt=self.now() + 3 * 86400,
            )
            invoice["status_transitions"]["paid_at"] = None
            subscription["latest_invoice"] = invoice["id"]
            return [self.event("invoice.payment_failed", invoice), self.event("customer.subscription.updated", subscription, previous)]

    def cancel_subscription(self, subscription_id: str) -> list[dict[str, Any]]:
        """Cancelled at once (the portal, or the last retry failing)."""
        with self.lock:
            subscription = self.objects["subscription"][subscription_id]
            now = self.now()
            subscription.update(status="canceled", canceled_at=now, ended_at=now)
            subscription["cancellation_details"]["reason"] = "cancellation_requested"
            return [self.event("customer.subscription.deleted", subscription)]

    def change_price(self, subscription_id: str, price_id: str) -> list[dict[str, Any]]:
        with self.lock:
            subscription = self.objects["subscription"][subscription_id]
            item = subscription["items"]["data"][0]
            previous = {"items": copy.deepcopy(subscription["items"])}
            item["price"] = copy.deepcopy(self.objects["price"][price_id])
            item["plan"] = _plan_of(item["price"])
            return [self.event("customer.subscription.updated", subscription, previous)]

    def set_status(self, subscription_id: str, status: str) -> list[dict[str, Any]]:
        with self.lock:
            subscription = self.objects["subscription"][subscription_id]
            previous = {"status": subscription["status"]}
            subscription["status"] = status
            return [self.event("customer.subscription.updated", subscription, previous)]

    def succeed_payment_intent(self, intent_id: str) -> list[dict[str, Any]]:
        """Stripe.js confirmed the PaymentIntent and the card was charged."""
        with self.lock:
            intent = self.objects["payment_intent"][intent_id]
            charge = self._charge(intent)
            intent.update(
                status="succeeded",
                amount_received=intent["amount"],
                latest_charge=charge["id"],
                payment_method=charge["payment_method"],
                last_payment_error=None,
            )
            return [self.event("charge.succeeded", charge), self.event("payment_intent.succeeded", intent)]

    def fail_payment_intent(self, intent_id: str) -> list[dict[str, Any]]:
        with self.lock:
            intent = self.objects["payment_intent"][intent_id]
            intent.update(
                status="requires_payment_method",
                last_payment_error={
                    "code": "card_declined",
                    "decline_code": "generic_decline",
                    "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                    "message": "Your card was declined.",
                    "type": "card_error",
                },
            )
            return [self.event("payment_intent.payment_failed", intent)]

    def _new_subscription(self, customer_id: str, price: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        subscription = fixture("subscription")
        subscription_id = new_id("sub", 24)
        item = fixture("subscription_item")
        item.update(
            id=new_id("si", 14),
            created=now,
            current_period_start=now,
            current_period_end=now + _period(price),
            subscription=subscription_id,
        )
        item["price"], item["plan"] = copy.deepcopy(price), _plan_of(price)
        subscription.update(
            id=subscription_id,
            created=now,
            start_date=now,
            billing_cycle_anchor=now,
            customer=customer_id,
            currency=price["currency"],
            metadata=metadata,
        )
        subscription["items"].update(data=[item], url=f"/v1/subscription_items?subscription={subscription_id}")
        self.objects["subscription"][subscription_id] = subscription
        return subscription

    def _next_period(self, subscription_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        subscription = self.objects["subscription"][subscription_id]
        item = subscription["items"]["data"][0]
        previous = {"items": copy.deepcopy(subscription["items"])}
        item["current_period_start"] = item["current_period_end"]
        item["current_period_end"] += _period(item["price"])
        return subscription, previous

    def _invoice(self, subscription: dict[str, Any], price: dict[str, Any], reason: str) -> dict[str, Any]:
        now, item = self.now(), subscription["items"]["data"][0]
        customer = self.objects["customer"].get(subscription["customer"], {})
        invoice = fixture("invoice")
        invoice_id = new_id("in", 24)
        amount = int(price["unit_amount"])
        invoice.update(
            id=invoice_id,
            created=now,
            effective_at=now,
            customer=subscription["customer"],
            customer_email=customer.get("email"),
            customer_name=customer.get("name"),
            currency=price["currency"],
            amount_due=amount,
            amount_paid=amount,
            subtotal=amount,
            subtotal_excluding_tax=amount,
            total=amount,
            total_excluding_tax=amount,
            billing_reason=reason,
            number=f"{customer.get('invoice_prefix', 'FAKE')}-{len(self.objects['invoice']) + 1:04d}",
            hosted_invoice_url=f"{self.url}/invoices/{invoice_id}",
            invoice_pdf=f"{self.url}/invoices/{invoice_id}/pdf",
            period_start=now,
            period_end=now,
        )
        invoice["status_transitions"].update(finalized_at=now, paid_at=now)
        invoice["parent"]["subscription_details"] = {"metadata": subscription["metadata"], "subscription": subscription["id"]}
        line = invoice["lines"]["data"][0]
        line.update(id=new_id("il", 24), amount=amount, currency=price["currency"], invoice=invoice_id)
        line["description"] = (
            f"1 × {price.get('nickname') or 'Plan'} (at ${amount / 100:.2f} / {(price.get('recurring') or {}).get('interval', 'once')})"
        )
        line["period"] = {"start": item["current_period_start"], "end": item["current_period_end"]}
        line["parent"]["subscription_item_details"].update(subscription=subscription["id"], subscription_item=item["id"])
        line["pricing"]["price_details"] = {"price": price["id"], "product": price["product"]}
        invoice["lines"]["url"] = f"/v1/invoices/{invoice_id}/lines"
        self.objects["invoice"][invoice_id] = invoice
        subscription["latest_invoice"] = invoice_id
        return invoice

    def _paid_invoice(self, subscription: dict[str, Any], price: dict[str, Any], reason: str) -> tuple[dict[str, Any], dict[str, Any]]:
        invoice = self._invoice(subscription, price, reason)
        # The invoice's PaymentIntent: no metadata of ours, as Stripe makes it.
        intent = self._create_payment_intent(
            {
                "amount": invoice["amount_due"],
                "currency": invoice["currency"],
                "customer": subscription["customer"],
                "description": "Subscription creation" if reason == "subscription_create" else "Subscription update",
            }
        )
        charge = self._charge(intent)
        intent.update(
            status="succeeded", amount_received=intent["amount"], latest_charge=charge["id"], payment_method=charge["payment_method"]
        )
        return invoice, intent

    def _charge(self, intent: dict[str, Any]) -> dict[str, Any]:
        charge = fixture("charge")
        charge_id = new_id("ch", 24)
        charge.update(
            id=charge_id,
            amount=intent["amount"],
            amount_captured=intent["amount"],
            currency=intent["currency"],
            customer=intent["customer"],
            created=self.now(),
            payment_intent=intent["id"],
            receipt_url=f"{self.url}/receipts/{charge_id}",
        )
        self.objects["charge"][charge_id] = charge
        return charge

    # --- webhooks -----------------------------------------------------------------------

    def signed(self, event: dict[str, Any], *, secret: str | None = None, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers Stripe would POST for `event`."""
        payload = json.dumps(event, indent=2)
        header = stripe.WebhookSignature.generate_signature_header(payload, secret or self.webhook_secret, timestamp=timestamp)
        return payload.encode(), {
            "Stripe-Signature": header,
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }

    def send(self, events: Iterable[dict[str, Any]], *, attempts: int = 5) -> None:
        """POST each event to webhook_url in order, retrying non-2xx answers like Stripe does."""
        with httpx.Client(timeout=30) as client:
            for event in events:
                for attempt in range(attempts):
                    body, headers = self.signed(event)
                    status = client.post(self.webhook_url, content=body, headers=headers).status_code
                    self.deliveries.append((event["id"], status))
                    if status < 300:
                        break
                    time.sleep(0.2 * (attempt + 1))

    def send_later(self, events: list[dict[str, Any]], delay_s: float = 0.5) -> None:
        """Deliver in the background, a moment after the redirect: the page must wait."""

        def deliver() -> None:
            time.sleep(delay_s)
            self.send(events)

        thread = threading.Thread(target=deliver, daemon=True, name="fake-stripe-webhooks")
        self._threads.append(thread)
        thread.start()

    # --- hosted pages -------------------------------------------------------------------

    def page(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        parts = path.strip("/").split("/")
        if parts[0] == "checkout" and len(parts) >= 2 and parts[1] in self.objects["checkout_session"]:
            session = self.objects["checkout_session"][parts[1]]
            if method == "GET":
                return _html(
                    f"<h1>Pay {session['amount_total'] / 100:.2f} {session['currency'].upper()}</h1>"
                    f"<form method='post' action='/checkout/{parts[1]}/pay'><button id='pay'>Pay</button></form>"
                    f"<a id='cancel' href='{session['cancel_url']}'>Back</a>"
                )
            if method == "POST" and parts[-1] == "pay":
                self.send_later(self.complete_checkout(parts[1]))
                return 303, {"Location": session["success_url"].replace("{CHECKOUT_SESSION_ID}", parts[1])}, b""
        portals = self.objects.get("portal_session", {})
        if parts[0] == "portal" and len(parts) >= 2 and parts[1] in portals:
            portal = portals[parts[1]]
            live = [s for s in self.objects["subscription"].values() if s["customer"] == portal["customer"] and s["status"] != "canceled"]
            if method == "GET":
                rows = "".join(f"<p class='subscription'>{s['id']} {s['status']}</p>" for s in live)
                cancel = f"<form method='post' action='/portal/{parts[1]}/cancel'><button id='cancel-plan'>Cancel plan</button></form>"
                return _html(f"<h1>Customer portal</h1>{rows}{cancel}")
            if method == "POST" and parts[-1] == "cancel":
                for subscription in live:
                    self.send_later(self.cancel_subscription(subscription["id"]), delay_s=0.1)
                return 303, {"Location": portal["return_url"]}, b""
        return 404, {"Content-Type": "text/plain"}, b"not found"


def _public(stripe_object: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in stripe_object.items() if not key.startswith("_")}


def _period(price: dict[str, Any]) -> int:
    return YEAR_S if (price.get("recurring") or {}).get("interval") == "year" else MONTH_S


def _plan_of(price: dict[str, Any]) -> dict[str, Any]:
    plan = fixture("subscription_item")["plan"]
    recurring = price.get("recurring") or {}
    plan.update(
        id=price["id"],
        amount=price["unit_amount"],
        amount_decimal=str(price["unit_amount"]),
        currency=price["currency"],
        interval=recurring.get("interval", "month"),
        product=price["product"],
        nickname=price.get("nickname"),
    )
    return plan


def _html(body: str) -> tuple[int, dict[str, str], bytes]:
    page = f"<!doctype html><html><head><title>Stripe (fake)</title></head><body>{body}</body></html>"
    return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args: Any) -> None:  # quiet: pytest shows failures, not traffic
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        if not parts.path.startswith("/v1/"):
            status, headers, body = self.fake.page(method, parts.path)
            return self._answer(status, headers, body)
        params = decode_form(parse_qsl(parts.query if method == "GET" else raw, keep_blank_values=True))
        try:
            status, answer = 200, self._api(method, parts.path, params)
        except StripeApiError as error:
            status, answer = error.status, error.body
        self._answer(
            status,
            {"Content-Type": "application/json", "Request-Id": new_id("req", 14), "Stripe-Version": API_VERSION},
            json.dumps(answer).encode(),
        )

    def _api(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        fake = self.fake
        scheme, _, key = (self.headers.get("Authorization") or "").partition(" ")
        if scheme != "Bearer" or not key.startswith(fake.api_key_prefix):
            raise _invalid("Invalid API Key provided: " + (key[:8] + "****" if key else "(none)"), status=401)
        idempotency_key = self.headers.get("Idempotency-Key")
        with fake.lock:
            fake.requests.append({"method": method, "path": path, "params": params, "idempotency_key": idempotency_key})
            if fake.fail_next_requests > 0:
                fake.fail_next_requests -= 1
                raise _invalid("An unknown error occurred.", kind="api_error", status=500)
            if method == "POST" and idempotency_key:
                signature = json.dumps([path, params], sort_keys=True)
                earlier = fake._idempotency.get(idempotency_key)
                if earlier is not None:
                    if earlier[0] != signature:
                        raise _invalid(
                            "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                            kind="idempotency_error",
                        )
                    return earlier[2]
                answer = fake.api(method, path, params)
                fake._idempotency[idempotency_key] = (signature, HTTPStatus.OK, answer)
                return answer
            return fake.api(method, path, params)

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# --- wiring the app to it ---------------------------------------------------------------

TEST_SECRET_KEY = "sk_test_fake51NnWe2LkdIwHu7ix"
TEST_PUBLISHABLE_KEY = "pk_test_fake51NnWe2LkdIwHu7ix"
TEST_PLANS = [
    {"id": "free", "name": "Free", "tier": "free", "kind": "free"},
    {
        "id": "pro_monthly",
        "name": "Pro",
        "tier": "pro",
        "kind": "subscription",
        "interval": "month",
        "price_cents": 1200,
        "stripe_price_id": "price_test_pro_monthly",
    },
    {
        "id": "pro_yearly",
        "name": "Pro (yearly)",
        "tier": "pro",
        "kind": "subscription",
        "interval": "year",
        "price_cents": 12000,
        "stripe_price_id": "price_test_pro_yearly",
    },
    {
        "id": "team_monthly",
        "name": "Team",
        "tier": "team",
        "kind": "subscription",
        "interval": "month",
        "price_cents": 4900,
        "stripe_price_id": "price_test_team_monthly",
    },
    {"id": "desktop_lifetime", "name": "Desktop lifetime", "tier": "pro", "kind": "one_time", "price_cents": 14900},
]


def install_prices(fake: FakeStripe) -> None:
    """The Stripe prices TEST_PLANS name, as an operator would create them in Stripe."""
    for plan in TEST_PLANS:
        if plan.get("stripe_price_id"):
            fake.add_price(plan["stripe_price_id"], unit_amount=plan["price_cents"], interval=plan["interval"], nickname=plan["name"])


def app_environment(fake: FakeStripe) -> dict[str, str]:
    """The settings that point the app at `fake`, with TEST_PLANS for sale."""
    return {
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": TEST_PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": fake.webhook_secret,
        "STRIPE_API_BASE": fake.url,
        "BILLING_PLANS": json.dumps(TEST_PLANS),
    }


_shared: FakeStripe | None = None


def shared_fake() -> FakeStripe:
    """One fake per test process, for the end-to-end app (started with its environment)."""
    global _shared
    if _shared is None:
        _shared = FakeStripe().start()
        install_prices(_shared)
    return _shared


def e2e_stripe_environment() -> dict[str, str]:
    return app_environment(shared_fake())
